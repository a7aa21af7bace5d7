/** Hosts that name this machine: plain http is allowed to them only in local development. */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** `host` as URL.hostname gives it (IPv6 in brackets). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase());
}
