// Live progress on stderr: a cli-progress bar on a terminal, one plain line per change otherwise,
// nothing with --json (stdout then carries only the final JSON document).
import cliProgress from "cli-progress";
import { settledCount, type ItemCounts } from "./batchView.js";

export type OutputMode = "tty" | "plain" | "json";

export function outputModeFor(options: { json?: boolean }, stream: NodeJS.WriteStream = process.stderr): OutputMode {
  if (options.json) return "json";
  return stream.isTTY ? "tty" : "plain";
}

export interface ProgressFigures {
  settled: number;
  /** Items settled per second since the phase started. */
  ratePerSecond: number;
  /** Seconds left at that rate; undefined while the total or the rate is unknown. */
  etaSeconds?: number;
}

export function progressFigures(counts: ItemCounts, elapsedMs: number): ProgressFigures {
  const settled = settledCount(counts);
  const ratePerSecond = elapsedMs > 0 ? (settled * 1000) / elapsedMs : 0;
  const remaining = counts.total === undefined ? undefined : Math.max(0, counts.total - settled);
  const etaSeconds = remaining === undefined ? undefined : remaining === 0 ? 0 : ratePerSecond > 0 ? remaining / ratePerSecond : undefined;
  return { settled, ratePerSecond, etaSeconds };
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "?";
  const rounded = Math.round(seconds);
  if (rounded < 60) return `${rounded}s`;
  const minutes = Math.floor(rounded / 60);
  if (minutes < 60) return `${minutes}m${String(rounded % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

const PLAIN_LINE_INTERVAL_MS = 1_000;
const BAR_FORMAT = "{phase} [{bar}] {settled}/{totalText} | {countsText} | {rateText}/s | ETA {etaText}";

export class ProgressDisplay {
  private bar?: cliProgress.SingleBar;
  private phase = "";
  private startedAt = 0;
  private lastKey = "";
  private lastLineAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly mode: OutputMode,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a phase ("Uploading", "Analyzing"); a running phase is closed first. */
  begin(phase: string, counts: ItemCounts): void {
    this.end();
    this.phase = phase;
    this.startedAt = this.now();
    this.lastKey = "";
    this.lastLineAt = Number.NEGATIVE_INFINITY;
    if (this.mode === "tty") {
      this.bar = new cliProgress.SingleBar(
        { format: BAR_FORMAT, stream: this.stream, hideCursor: true, barsize: 24, fps: 5 },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(counts.total ?? 0, 0, this.payload(counts));
    }
    this.update(counts);
  }

  update(counts: ItemCounts): void {
    const payload = this.payload(counts);
    if (this.mode === "tty" && this.bar) {
      if (counts.total !== undefined) this.bar.setTotal(counts.total);
      this.bar.update(payload.settled, payload);
    } else if (this.mode === "plain") {
      const line = `${this.phase}: ${payload.settled}/${payload.totalText} (${payload.countsText}), ${payload.rateText}/s, ETA ${payload.etaText}`;
      // A line when the counts change, at most one a second (a log of 10,000 uploads stays short),
      // and always the phase's last one.
      const key = `${payload.settled}/${payload.totalText}:${payload.countsText}`;
      const finished = counts.total !== undefined && payload.settled >= counts.total;
      if (key !== this.lastKey && (finished || this.now() - this.lastLineAt >= PLAIN_LINE_INTERVAL_MS)) {
        this.stream.write(`${line}\n`);
        this.lastKey = key;
        this.lastLineAt = this.now();
      }
    }
  }

  end(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** A message line between phases (it ends a running bar, so the bar is not garbled). */
  note(message: string): void {
    if (this.mode === "json") return;
    this.end();
    this.stream.write(`${message}\n`);
  }

  private payload(counts: ItemCounts) {
    const figures = progressFigures(counts, this.now() - this.startedAt);
    return {
      phase: this.phase,
      settled: figures.settled,
      totalText: counts.total === undefined ? "?" : String(counts.total),
      countsText: progressCounts(counts),
      // Not "eta"/"rate": cli-progress fills those names itself.
      rateText: figures.ratePerSecond.toFixed(1),
      etaText: formatDuration(figures.etaSeconds),
    };
  }
}

/** "5 ok, 1 failed", with skipped and canceled only when there are some (OpenAI never skips). */
export function progressCounts(counts: ItemCounts): string {
  const parts = [`${counts.succeeded} ok`, `${counts.failed} failed`];
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  if (counts.canceled) parts.push(`${counts.canceled} canceled`);
  return parts.join(", ");
}
