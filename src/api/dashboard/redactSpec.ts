/**
 * The request that started a batch, as the dashboard may show it: the kind's stored spec with
 * every secret removed. Sealed values (`sealed…` keys) and key-like fields are dropped whole;
 * URLs lose their query (a SAS is a query); anything else is shown as stored.
 */
const SECRET_KEY = /^sealed|^(api[-_]?)?key$|secret|password|^(access[-_]?)?token$|credential|connection[-_]?string/i;
export const REMOVED = "(removed)";

export function redactSpec(specText: string): unknown {
  let spec: unknown;
  try {
    spec = JSON.parse(specText);
  } catch {
    return null;
  }
  return redact(spec);
}

function redact(value: unknown): unknown {
  if (typeof value === "string") return withoutQuery(value);
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) {
      if (!/^sealed/i.test(key)) out[key] = REMOVED;
      continue;
    }
    out[key] = redact(field);
  }
  return out;
}

function withoutQuery(text: string): string {
  if (!/^https?:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    if (!url.search && !url.username && !url.password) return text;
    url.search = "";
    url.username = "";
    url.password = "";
    return `${url.toString()}${text.includes("?") ? `?${REMOVED}` : ""}`;
  } catch {
    return text;
  }
}
