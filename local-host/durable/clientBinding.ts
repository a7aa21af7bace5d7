/**
 * The object the Durable extension binds to a `durableClient` input: the webhook URL templates
 * (public, on the app's own origin) and the local RPC endpoint `df.getClient()` talks to.
 */
export interface DurableClientData {
  taskHubName: string;
  creationUrls: Record<string, string>;
  managementUrls: Record<string, string>;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
  httpBaseUrl: string;
}

export const WEBHOOK_PATH = "/runtime/webhooks/durabletask";

/**
 * `systemKey` is the `durabletask_extension` key the webhooks require: like the real host, the
 * binding hands it to the client in every URL (`code=`), so the app's own links keep working.
 */
export function durableClientData(appUrl: string, rpcBaseUrl: string, taskHubName: string, systemKey: string): DurableClientData {
  const base = `${appUrl}${WEBHOOK_PATH}`;
  const query = `taskHub=${encodeURIComponent(taskHubName)}&connection=Storage&code=${encodeURIComponent(systemKey)}`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      waitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: {
      id: "INSTANCEID",
      statusQueryGetUri: `${instance}?${query}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
      purgeHistoryDeleteUri: `${instance}?${query}`,
      restartPostUri: `${instance}/restart?${query}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
      resumePostUri: `${instance}/resume?reason={text}&${query}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: query,
    rpcBaseUrl,
    httpBaseUrl: base,
  };
}

/** The management payload for one instance, as start and createCheckStatusResponse return it. */
export function managementPayload(data: DurableClientData, instanceId: string): Record<string, string> {
  const payload: Record<string, string> = {};
  for (const [key, value] of Object.entries(data.managementUrls)) payload[key] = value.replaceAll("INSTANCEID", encodeURIComponent(instanceId));
  payload.id = instanceId;
  return payload;
}
