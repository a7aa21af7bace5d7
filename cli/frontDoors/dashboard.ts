// docbatch's own dashboard API: the one place that can cancel a batch of a front door whose
// wire API has no cancel (DocuDevs' upload batches).
import type { Connection } from "../connection.js";
import { ServiceError } from "../exitCodes.js";

export class DashboardApi {
  constructor(private readonly connection: Connection) {}

  async cancel(kind: string, batchId: string): Promise<void> {
    const response = await fetch(`${this.connection.url}/dashboard/api/batches/${encodeURIComponent(kind)}/${encodeURIComponent(batchId)}/cancel`, {
      method: "POST",
      headers: { "api-key": this.connection.key },
    });
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const text = await response.text();
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // Not the dashboard's JSON error: the text as it came.
    }
    throw new ServiceError(`cancel answered ${response.status}: ${message}`, response.status);
  }
}
