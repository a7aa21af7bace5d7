/**
 * How docbatch signs in to an upstream: its key (`api-key` for Azure endpoints, as Azure OpenAI
 * expects; `Authorization: Bearer` for everyone else), or, with an Azure endpoint and no key,
 * a token of the app's managed identity. Local servers without auth (Ollama, vLLM) get neither.
 */

export const COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default";

/** Anything with getToken, e.g. DefaultAzureCredential. */
export interface TokenCredentialLike {
  getToken(scope: string | string[]): Promise<{ token: string; expiresOnTimestamp?: number } | null>;
}

const AZURE_HOSTS = /\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com|openai\.azure\.us|cognitiveservices\.azure\.us)$/i;

export function isAzureEndpoint(endpoint: URL): boolean {
  return AZURE_HOSTS.test(endpoint.hostname);
}

/** Refresh this long before a token expires. */
const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export type AuthHeaders = () => Promise<Record<string, string>>;

export function upstreamAuth(options: { endpoint: URL; apiKey?: string; credential?: () => Promise<TokenCredentialLike> }): AuthHeaders {
  const azure = isAzureEndpoint(options.endpoint);
  if (options.apiKey) {
    const headers: Record<string, string> = azure ? { "api-key": options.apiKey } : { authorization: `Bearer ${options.apiKey}` };
    return async () => headers;
  }
  if (!azure) return async () => ({});

  const credential = options.credential ?? defaultCredential;
  let cached: { token: string; refreshAt: number } | undefined;
  return async () => {
    if (!cached || Date.now() >= cached.refreshAt) {
      const token = await (await credential()).getToken(COGNITIVE_SERVICES_SCOPE);
      if (!token) throw new Error("The managed identity gave no token for Azure OpenAI (scope https://cognitiveservices.azure.com/.default).");
      cached = { token: token.token, refreshAt: (token.expiresOnTimestamp ?? Date.now() + 30 * 60_000) - TOKEN_REFRESH_MARGIN_MS };
    }
    return { authorization: `Bearer ${cached.token}` };
  };
}

let sharedCredential: Promise<TokenCredentialLike> | undefined;
function defaultCredential(): Promise<TokenCredentialLike> {
  sharedCredential ??= import("@azure/identity").then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
  return sharedCredential;
}
