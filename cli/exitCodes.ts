/** What the process exit status tells a script. */
export const ExitCode = {
  /** Every document succeeded (or was skipped because its result already existed). */
  ok: 0,
  /** Bad arguments, docbatch unreachable, a request refused. */
  error: 1,
  /** The batch finished, but some documents (or lines) failed. */
  itemsFailed: 2,
  /** The batch itself failed, was canceled or expired. */
  batchFailed: 3,
  /** Ctrl-C: we stopped following (the batch goes on unless --cancel-on-exit). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake the user can fix: printed without a stack trace. */
export class UsageError extends Error {}

/** A service answered with an error: its status and body, rendered for the terminal. */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
