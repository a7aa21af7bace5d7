/** Messages between local-host/azurite.ts and the Azurite launcher, on the child's IPC channel. */
/** The launcher's one argument, as JSON. */
export interface LaunchConfig {
  host: string;
  ports: { blob: number; queue: number; table: number };
  location: string;
  debugLogPath?: string;
  /** Changes made by other clients (a user's uploads) are saved at least this often. */
  saveIntervalMs: number;
}

export type ParentMessage = { type: "flush"; id: number };

export type LauncherMessage =
  | { type: "ready"; version: string }
  /** Every store changed before the flush request is on disk; `error` when a save failed. */
  | { type: "flushed"; id: number; error?: string }
  /** Startup failed; the launcher exits after sending this. */
  | { type: "failed"; message: string };
