/**
 * The wall clock used outside orchestrations. Tests running the app in-process move it
 * forward (for example past the retention period) without touching the system clock.
 */
let offsetMs = 0;

export const clock = {
  now(): Date {
    return new Date(Date.now() + offsetMs);
  },
  /** Test support: shift every later `now()` by `ms`. */
  advance(ms: number): void {
    offsetMs += ms;
  },
  reset(): void {
    offsetMs = 0;
  },
};
