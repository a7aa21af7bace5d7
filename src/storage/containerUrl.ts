import { BlockList, isIP } from "node:net";
import { isLoopbackHost } from "../shared/loopback.js";
import { blobPathProblem } from "./blobPath.js";
import { OWN_CONTAINER_PURPOSES } from "./ownContainer.js";

/**
 * Decides whether a caller-supplied container URL may be used, before any request leaves the app.
 * A URL with a SAS is used as given (the SAS is the caller's grant); a URL without one would be
 * reached with the app's own identity, so only allow-listed storage accounts are accepted.
 */

export interface StorageUrlPolicy {
  /**
   * What the app may reach with its own identity (no SAS): `account` (every container of it) or
   * `account/container` entries. Empty: nothing; every URL needs a SAS.
   */
  allowedAccounts: string[];
  /** Plain-http, path-style loopback URLs (Azurite). Local development only. */
  allowLoopbackHttp: boolean;
  /**
   * The app's own blob endpoint when it is on loopback (Azurite, e.g. http://127.0.0.1:10000/devstoreaccount1):
   * the one loopback service a URL may name (same host and port). Other ports are other programs.
   */
  localBlobEndpoint?: string;
  appAccountName: string;
  /** The Durable Functions task hub, whose containers (`<hub>-leases`, ...) live in the app's account. */
  taskHub?: string;
  /** docbatch's own containers in the app's account are named `<prefix>-...` (DOCBATCH_TABLE_PREFIX). */
  ownContainerPrefix?: string;
}

export interface ContainerLocation {
  accountName: string;
  containerName: string;
  /** e.g. https://acct.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1 (no trailing slash). */
  serviceUrl: string;
  /** Container URL without query: safe to return and store. */
  url: string;
  /** The query string without '?', only when it is a SAS (has `sig`). Secret: never log or return it. */
  sas?: string;
}

export type StorageUrlErrorCode =
  | "InvalidContainerUrl"
  | "InsecureUrl"
  | "ForbiddenHost"
  | "StorageAccountNotAllowed"
  | "ForbiddenContainer"
  | "InvalidSasToken";

/** A refused URL. `target` names the request field (e.g. "azureBlobSource.containerUrl"). Messages never hold a SAS. */
export class StorageUrlError extends Error {
  override readonly name = "StorageUrlError";
  constructor(
    readonly code: StorageUrlErrorCode,
    message: string,
    readonly target: string,
  ) {
    super(message);
  }
}

/** Builds the policy from the app settings and the app's own storage account (and its blob endpoint). */
export function storageUrlPolicy(
  settings: { allowedStorageAccounts: string[]; allowLoopbackHttp: boolean; taskHub?: string; tablePrefix?: string },
  appAccountName: string,
  appBlobEndpoint?: string,
): StorageUrlPolicy {
  return {
    allowedAccounts: settings.allowedStorageAccounts,
    allowLoopbackHttp: settings.allowLoopbackHttp,
    localBlobEndpoint: appBlobEndpoint && isLoopbackUrl(appBlobEndpoint) ? appBlobEndpoint : undefined,
    appAccountName,
    taskHub: settings.taskHub,
    ownContainerPrefix: settings.tablePrefix,
  };
}

/**
 * Containers of the app's own account that belong to the platform or to docbatch: the host's
 * keys and locks (`azure-webjobs-*`), deployment packages (`app-package*`, `scm-releases`), the
 * task hub's leases and large messages (`<hub>-leases`, `<hub>-applease`, `<hub>-largemessages`).
 * and docbatch's own data (`<prefix>-uploads`, `<prefix>-openai-files`, ...: other callers' uploads
 * and files). No batch may read or write them, with a SAS or without, whatever the allow-list says.
 */
export function isInternalContainer(location: Pick<ContainerLocation, "accountName" | "containerName">, policy: StorageUrlPolicy): boolean {
  if (location.accountName !== policy.appAccountName.toLowerCase()) return false;
  const name = location.containerName;
  const hub = (policy.taskHub || "docbatch").toLowerCase();
  const own = policy.ownContainerPrefix?.toLowerCase();
  if (own && OWN_CONTAINER_PURPOSES.some((purpose) => name === `${own}-${purpose}`)) return true;
  return name.startsWith("azure-webjobs-") || name.startsWith("app-package") || name === "scm-releases" || TASK_HUB_CONTAINERS.some((suffix) => name === `${hub}-${suffix}`);
}

const TASK_HUB_CONTAINERS = ["leases", "applease", "largemessages"];

/** True when an allow-list entry (`account` or `account/container`) grants the location SAS-less access. */
function allowListed(location: ContainerLocation, allowList: readonly string[]): boolean {
  return allowList.some((entry) => {
    const [account, container, ...rest] = entry.trim().toLowerCase().split("/");
    if (rest.length > 0 || account !== location.accountName) return false;
    return container === undefined || container === "" || container === location.containerName;
  });
}

// Public cloud and sovereign clouds; DNS-zone (Azure DNS zone endpoints) accounts live under z<N>.blob.storage.azure.net.
const BLOB_HOST = /^([a-z0-9]{3,24})\.(?:blob\.core\.windows\.net|blob\.core\.usgovcloudapi\.net|blob\.core\.chinacloudapi\.cn|z[0-9]+\.blob\.storage\.azure\.net)$/;
// Same account suffixes but another service: worth a precise hint.
const OTHER_STORAGE_SERVICE = /^[a-z0-9]{3,24}\.(dfs|file|queue|table|web)\.core\.(windows\.net|usgovcloudapi\.net|chinacloudapi\.cn)$/;
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
// 3-63 chars, lowercase letters, digits and single hyphens, starting and ending with a letter or digit.
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SPECIAL_CONTAINERS = new Set(["$root", "$web"]);

// Addresses that reach the platform itself (instance metadata, wire server, link-local).
const platformAddresses = new BlockList();
platformAddresses.addSubnet("169.254.0.0", 16, "ipv4");
platformAddresses.addAddress("168.63.129.16", "ipv4");
platformAddresses.addSubnet("fe80::", 10, "ipv6");
platformAddresses.addAddress("fd00:ec2::254", "ipv6");

/**
 * Parses and checks a container URL. Throws StorageUrlError synchronously; nothing is sent anywhere.
 */
export function parseContainerUrl(raw: string, policy: StorageUrlPolicy, target: string): ContainerLocation {
  const refuse = (code: StorageUrlErrorCode, message: string): never => {
    throw new StorageUrlError(code, `${target}: ${message}`, target);
  };
  if (typeof raw !== "string" || raw.trim() === "") refuse("InvalidContainerUrl", "a container URL is required.");
  // Control characters are what this refuses.
  // eslint-disable-next-line no-control-regex
  if (raw !== raw.trim() || /[\s\u0000-\u001f]/.test(raw)) {
    refuse("InvalidContainerUrl", "the URL contains whitespace or control characters; percent-encode them or remove them.");
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("InvalidContainerUrl", `'${redactUrl(raw)}' is not an absolute URL; expected https://{account}.blob.core.windows.net/{container}.`);
  }
  const shown = redactUrl(raw);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    refuse("InvalidContainerUrl", `'${shown}' uses ${url.protocol.replace(/:$/, "")}; a blob container URL starts with https://.`);
  }
  if (url.username || url.password) {
    refuse("InvalidContainerUrl", `'${shown}' carries a user name or password; remove it and grant access with a SAS token instead.`);
  }
  if (url.hash) refuse("InvalidContainerUrl", `'${shown}' has a fragment ('#...'); remove it.`);

  const host = url.hostname;
  const blobHost = BLOB_HOST.exec(host);
  // Both set below; every other branch throws.
  let accountName = "";
  let serviceUrl = "";
  const pathSegments = splitPath(url.pathname);

  if (blobHost) {
    if (url.protocol !== "https:") refuse("InsecureUrl", `'${shown}' uses plain http; use https://${host}${url.pathname}.`);
    if (url.port) refuse("ForbiddenHost", `'${shown}' names port ${url.port}; Azure Blob Storage is reached on the default https port, remove ':${url.port}'.`);
    accountName = blobHost[1];
    serviceUrl = `https://${host}`;
  } else if (isLoopbackHost(host)) {
    if (!policy.allowLoopbackHttp) {
      refuse("ForbiddenHost", `'${shown}' points at this machine (${host}); loopback storage (Azurite) is accepted only in local development (DOCBATCH_ALLOW_LOOPBACK_HTTP=true).`);
    }
    if (!isLocalBlobService(url, policy.localBlobEndpoint)) {
      const local = policy.localBlobEndpoint ? new URL(policy.localBlobEndpoint) : undefined;
      refuse(
        "ForbiddenHost",
        `'${shown}' points at this machine (${url.host}), which is not the local storage emulator's blob endpoint${local ? ` (${local.protocol}//${local.host})` : ""}; only that loopback service may be named.`,
      );
    }
    // Azurite and the emulator are path-style: /{account}/{container}.
    const account = pathSegments.shift();
    if (!account || !ACCOUNT_NAME.test(account)) {
      refuse("InvalidContainerUrl", `'${shown}' is a loopback URL without a valid account; expected ${url.protocol}//${url.host}/{account}/{container}.`);
    }
    accountName = account ?? "";
    serviceUrl = `${url.protocol}//${url.host}/${accountName}`;
  } else {
    refuse("ForbiddenHost", describeForbiddenHost(host, shown));
  }

  if (pathSegments.length === 0) {
    refuse("InvalidContainerUrl", `'${shown}' names no container; expected ${serviceUrl}/{container}.`);
  }
  const containerName = pathSegments[0];
  if (pathSegments.includes("")) refuse("InvalidContainerUrl", `'${shown}' has an empty path segment ('//'); expected ${serviceUrl}/{container}.`);
  if (pathSegments.length > 1) {
    refuse("InvalidContainerUrl", `'${shown}' names a blob or folder, not a container; use ${serviceUrl}/${containerName} and give the folder as the prefix.`);
  }
  if (!CONTAINER_NAME.test(containerName) && !SPECIAL_CONTAINERS.has(containerName)) {
    refuse("InvalidContainerUrl", `'${shown}': '${containerName.slice(0, 80)}' is not a valid container name (3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit).`);
  }

  const location: ContainerLocation = { accountName, containerName, serviceUrl, url: `${serviceUrl}/${containerName}` };
  if (isInternalContainer(location, policy)) {
    refuse("ForbiddenContainer", `'${shown}': container '${containerName}' holds the app's own data (host keys, deployment, task hub or docbatch's own files); use a container of your own.`);
  }
  const query = url.search.replace(/^\?/, "");
  if (query) {
    checkSas(new URLSearchParams(query), shown, refuse);
    location.sas = query;
    return location;
  }
  if (!allowListed(location, policy.allowedAccounts)) {
    refuse(
      "StorageAccountNotAllowed",
      `'${shown}' has no SAS token and container '${location.accountName}/${location.containerName}' is not one docbatch may reach with its own identity; add a SAS token with read and list permissions (write for results) or ask the operator to add '${location.accountName}/${location.containerName}' (or the account) to DOCBATCH_ALLOWED_STORAGE_ACCOUNTS.`,
    );
  }
  return location;
}

/** Container URL of a blob name: SAS-free, each path segment percent-encoded as the Storage SDK does. */
export function blobUrl(location: Pick<ContainerLocation, "url">, blobName: string): string {
  // encodeURIComponent leaves ' unescaped; the SDK escapes it (it is a sub-delimiter in paths).
  const path = blobName
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/'/g, "%27"))
    .join("/");
  return `${location.url}/${path}`;
}

/** For logs and error messages: the URL without its query (and so without `sig`), user info or fragment. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.href;
  } catch {
    // Not a URL: still cut everything from the first '?' or '#', and any user:password@.
    const cut = String(raw).split(/[?#]/, 1)[0].replace(/\/\/[^/@]*@/, "//");
    return cut.length > 200 ? `${cut.slice(0, 200)}...` : cut;
  }
}

function isLoopbackUrl(raw: string): boolean {
  try {
    return isLoopbackHost(new URL(raw).hostname);
  } catch {
    return false;
  }
}

/**
 * Same scheme, host and port as the app's loopback blob endpoint. The host as written too: another
 * loopback name (`localhost`, `[::1]`) may reach another program listening on the same port.
 */
function isLocalBlobService(url: URL, localBlobEndpoint: string | undefined): boolean {
  if (!localBlobEndpoint) return false;
  const local = new URL(localBlobEndpoint);
  return url.protocol === local.protocol && url.host === local.host;
}

function splitPath(pathname: string): string[] {
  const segments = pathname.split("/").slice(1);
  // One trailing slash is harmless ("/container/"); empty inner segments are kept so they are refused.
  if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  return segments;
}

function describeForbiddenHost(host: string, shown: string): string {
  const address = host.startsWith("[") ? host.slice(1, -1) : host;
  const family = isIP(address);
  if (family) {
    const type = family === 4 ? "ipv4" : "ipv6";
    if (platformAddresses.check(address, type)) {
      return `'${shown}' points at a link-local or platform metadata address (${address}); use https://{account}.blob.core.windows.net/{container}.`;
    }
    return `'${shown}' uses an IP address (${address}); use the storage account's blob host name, https://{account}.blob.core.windows.net/{container}.`;
  }
  const service = OTHER_STORAGE_SERVICE.exec(host);
  if (service) {
    return `'${shown}' is the ${service[1]} endpoint of a storage account; use its blob endpoint, https://${host.replace(`.${service[1]}.`, ".blob.")}/{container}.`;
  }
  return `'${shown}' is not an Azure Blob Storage host; expected https://{account}.blob.core.windows.net/{container} (or a sovereign-cloud / DNS-zone blob endpoint).`;
}

function checkSas(params: URLSearchParams, shown: string, refuse: (code: StorageUrlErrorCode, message: string) => never): void {
  const signatures = params.getAll("sig");
  if (signatures.length === 0) {
    refuse("InvalidSasToken", `'${shown}' has a query string but no SAS signature (sig); pass a container SAS URL, or the URL without a query.`);
  }
  if (signatures.length > 1 || !signatures[0]) refuse("InvalidSasToken", `'${shown}' has an empty or repeated SAS signature (sig); generate a new SAS token.`);
  if (!params.get("sv")) refuse("InvalidSasToken", `'${shown}' has a SAS without a service version (sv); generate a new SAS token.`);
  const resource = params.get("sr");
  // A blob SAS (sr=b/bs/bv) cannot list or write other blobs; container (sr=c) and account SAS (no sr) can.
  if (resource && resource !== "c" && resource !== "d") {
    refuse("InvalidSasToken", `'${shown}' has a SAS for a single blob (sr=${resource}); a container SAS (sr=c) or an account SAS is needed.`);
  }
  for (const field of ["st", "se"]) {
    const value = params.get(field);
    if (value && Number.isNaN(Date.parse(value))) refuse("InvalidSasToken", `'${shown}' has a SAS whose ${field} is not a date; generate a new SAS token.`);
  }
}

/** A checked blob (or folder) location: its container, and the path inside it (decoded). */
export interface BlobLocation {
  container: ContainerLocation;
  /** The blob name or folder path, without leading or trailing slashes; "" for a container's root. */
  path: string;
}

/**
 * Parses and checks a blob URL (`kind: "blob"`) or a folder URL (`kind: "folder"`, a container
 * with an optional path): the container part gets every check of parseContainerUrl (host, SAS,
 * allow-list, the app's own containers) and the path is refused with `.`/`..` segments.
 */
export function parseBlobUrl(raw: string, policy: StorageUrlPolicy, target: string, kind: "blob" | "folder"): BlobLocation {
  const refuse = (message: string): never => {
    throw new StorageUrlError("InvalidContainerUrl", `${target}: ${message}`, target);
  };
  let url: URL;
  try {
    url = new URL(typeof raw === "string" ? raw : "");
  } catch {
    return refuse(`'${redactUrl(String(raw))}' is not an absolute URL; expected https://{account}.blob.core.windows.net/{container}/{blob}.`);
  }
  // URL parsing resolves `..` (`/c/../other/x` becomes `/other/x`): check the path as written.
  const writtenPath = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(raw)?.[1] ?? "";
  const written = blobPathProblem(writtenPath);
  if (written) refuse(`the path of '${redactUrl(raw)}' ${written}.`);
  const segments = url.pathname.split("/").slice(1);
  // Path-style loopback URLs (Azurite) carry the account first.
  const containerSegments = isLoopbackHost(url.hostname) ? 2 : 1;
  const containerPath = segments.slice(0, containerSegments).join("/");
  const container = parseContainerUrl(`${url.protocol}//${url.host}/${containerPath}${url.search}`, policy, target);
  const rest = segments.slice(containerSegments);
  if (kind === "folder" && rest.length > 0 && rest[rest.length - 1] === "") rest.pop();
  let path: string;
  try {
    path = rest.map((segment) => decodeURIComponent(segment)).join("/");
  } catch {
    return refuse(`'${redactUrl(raw)}' has a malformed percent-encoding in its path.`);
  }
  if (kind === "blob" && path === "") refuse(`'${redactUrl(raw)}' names a container, not a blob; expected ${container.url}/{blob}.`);
  if (rest.includes("")) refuse(`'${redactUrl(raw)}' has an empty path segment ('//').`);
  const problem = path ? blobPathProblem(path) : undefined;
  if (problem) refuse(`the path of '${redactUrl(raw)}' ${problem}.`);
  return { container, path };
}
