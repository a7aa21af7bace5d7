import type { TokenCredential } from "@azure/identity";
import { AccessPendingError, untilAccessGranted, type AccessWait } from "../shared/accessPending.js";

/**
 * App settings the platform resolves from Key Vault (`@Microsoft.KeyVault(SecretUri=...)`). When
 * the app's identity cannot read the vault yet (its role still propagating on a first start), the
 * platform hands the app the reference text itself, and re-reads it only on a restart, a
 * configuration change or within 24 hours (App Service docs, "Use Key Vault references as app
 * settings": troubleshooting and rotation; the reference's status then reads
 * AccessToKeyVaultDenied). docbatch then reads the secret itself, with the same identity and with
 * backoff, instead of failing, or taking the reference text for an API key.
 */
const REFERENCE = /^@Microsoft\.KeyVault\((.*)\)\s*$/i;
/** Key Vault's REST API version for reading a secret. */
const KEY_VAULT_API_VERSION = "7.4";
const KEY_VAULT_SCOPE = "https://vault.azure.net/.default";

/** The secret's URI in a Key Vault reference (`SecretUri=` or `VaultName=;SecretName=[;SecretVersion=]`); undefined for any other value. */
export function keyVaultSecretUri(value: string | undefined): string | undefined {
  const reference = REFERENCE.exec(value?.trim() ?? "");
  if (!reference) return undefined;
  const parts = Object.fromEntries(
    reference[1]!.split(";").map((part) => {
      const at = part.indexOf("=");
      return [part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()];
    }),
  );
  if (parts.secreturi) return parts.secreturi;
  if (parts.vaultname && parts.secretname) {
    return `https://${parts.vaultname}.vault.azure.net/secrets/${parts.secretname}${parts.secretversion ? `/${parts.secretversion}` : ""}`;
  }
  return undefined;
}

/** Names of the settings still holding an unresolved Key Vault reference. */
export function unresolvedKeyVaultReferences(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([, value]) => keyVaultSecretUri(value) !== undefined)
    .map(([name]) => name);
}

export class KeyVaultReadError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = "KeyVaultReadError";
  }
}

export type SecretReader = (secretUri: string) => Promise<string>;

/** Reads a secret with Key Vault's REST API and the app's identity. */
export function keyVaultSecretReader(credential: TokenCredential, fetchImpl: typeof fetch = fetch): SecretReader {
  return async (secretUri) => {
    const token = await credential.getToken(KEY_VAULT_SCOPE);
    if (!token) throw new KeyVaultReadError("no token for Key Vault", 401);
    const url = new URL(secretUri);
    url.searchParams.set("api-version", KEY_VAULT_API_VERSION);
    const response = await fetchImpl(url, { headers: { authorization: `Bearer ${token.token}` }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new KeyVaultReadError(`Key Vault answered ${response.status} for ${url.origin}${url.pathname}`, response.status);
    const body = (await response.json()) as { value?: unknown };
    if (typeof body.value !== "string") throw new KeyVaultReadError(`Key Vault's answer for ${url.origin}${url.pathname} holds no value`);
    return body.value;
  };
}

/**
 * `env` with every unresolved Key Vault reference replaced by its secret, read with `readSecret`;
 * refusals (role propagation) are retried with backoff, then an AccessPendingError (503).
 */
export async function resolveKeyVaultReferences(env: NodeJS.ProcessEnv, readSecret: SecretReader, wait?: AccessWait): Promise<NodeJS.ProcessEnv> {
  const resolved: NodeJS.ProcessEnv = { ...env };
  for (const name of unresolvedKeyVaultReferences(env)) {
    const uri = keyVaultSecretUri(env[name])!;
    resolved[name] = await untilAccessGranted(`Key Vault (the secret of ${name})`, () => readSecret(uri), wait);
  }
  return resolved;
}

/** Thrown while references are being resolved: a 503, so callers retry and the engine waits. */
export class SettingsPendingError extends AccessPendingError {
  constructor(names: string[]) {
    super(`Key Vault (the secrets of ${names.join(", ")}, not yet resolved by the platform)`);
    this.name = "SettingsPendingError";
  }
}
