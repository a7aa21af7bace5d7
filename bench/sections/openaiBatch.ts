import { runScenario } from "../lib/childScenario.js";
import type { SectionResult } from "../lib/sectionResult.js";
import type { BareRun, OpenAiBatchRun } from "../scenarios/openaiBatch.js";
import type { OpenAiUploadRun } from "../scenarios/openaiUpload.js";
import type { ValidationRun } from "../scenarios/openaiValidation.js";
import type { RateShareRun } from "../scenarios/rateShare.js";

/** Issue 13's targets. */
export const UPSTREAM_SHARE_TARGET = 0.95;
export const VALIDATION_RSS_TARGET_MB = 300;
export const VALIDATION_RATIO_TARGET = 3;
export const OVERHEAD_TARGET = 0.7;
/** Issue 24's: the instances together keep this share of the upstream's limit, with no line failing. */
export const SHARED_LIMIT_TARGET = 0.9;

/** In-flight lines docbatch runs at: host.json's 16 activities × the kind's 8 lines each. */
const LINES_IN_FLIGHT = 128;

/**
 * Issue 13's three figures: the share of an upstream's RPM limit a batch keeps busy (with no
 * line failing for 429), validation of a 100,000-line file (peak RSS and time against a bare
 * download-and-parse), and lines/s against an unthrottled upstream against a bare script
 * sending the same requests at the same concurrency. Also runs the 100,000-line file as a batch.
 */
export async function runOpenAiBatchBenchmark({ quick }: { quick: boolean }): Promise<SectionResult> {
  const rpm = 1200;
  const minutes = quick ? 0.5 : 2;
  process.stderr.write(`  openaiBatch: ${rpm * minutes} lines against an upstream limited to ${rpm} requests/min...\n`);
  const rate = await runScenario<OpenAiBatchRun>("scenarios/openaiBatch", { lines: rpm * minutes, rpm, "latency-ms": 200 }, { timeoutMs: 10 * 60_000 });

  const latencies = quick ? [1000] : [1000, 300];
  const overhead: { latencyMs: number; ours: OpenAiBatchRun; bare: BareRun; ratio: number }[] = [];
  for (const latencyMs of latencies) {
    const lines = quick ? 1000 : 3000;
    process.stderr.write(`  openaiBatch: ${lines} lines unthrottled, ${latencyMs} ms per call, docbatch vs bare at ${LINES_IN_FLIGHT} in flight...\n`);
    const ours = await runScenario<OpenAiBatchRun>("scenarios/openaiBatch", { lines, "latency-ms": latencyMs }, { timeoutMs: 10 * 60_000 });
    const bare = await runScenario<BareRun>("scenarios/openaiBatch", { lines, "latency-ms": latencyMs, bare: true, concurrency: LINES_IN_FLIGHT }, { timeoutMs: 10 * 60_000 });
    overhead.push({ latencyMs, ours, bare, ratio: ours.linesPerSecond / bare.linesPerSecond });
  }

  const lines = quick ? 10_000 : 100_000;
  process.stderr.write(`  openaiBatch: validating ${lines} lines (~${lines / 1000} MB)...\n`);
  const validation = await runScenario<ValidationRun>("scenarios/openaiValidation", { lines, "line-bytes": 1000 }, { timeoutMs: 20 * 60_000 });
  // A big file run through: Azurite's in-memory table store slows as it fills (it, not the app, sits at 100 % CPU),
  // so the run is sized to finish on this machine; the validation above is the 100,000-line figure.
  const runLines = quick ? 5_000 : 20_000;
  process.stderr.write(`  openaiBatch: running a ${runLines}-line file as a batch...\n`);
  const bigRun = await runScenario<ValidationRun>("scenarios/openaiValidation", { lines: runLines, "line-bytes": 1000, run: true }, { timeoutMs: 40 * 60_000 });

  const uploadMb = quick ? 50 : 200;
  process.stderr.write(`  openaiBatch: a ${uploadMb} MB file through the Uploads API in 64 MB parts...\n`);
  const upload = await runScenario<OpenAiUploadRun>("scenarios/openaiUpload", { mb: uploadMb, "part-mb": 64 }, { timeoutMs: 20 * 60_000 });
  const shares: RateShareRun[] = [];
  for (const instances of [1, 2, 4]) {
    process.stderr.write(`  openaiBatch: ${instances} instance(s) sharing one upstream limit...\n`);
    shares.push(await runScenario<RateShareRun>("scenarios/rateShare", { instances, rpm: 1200, requests: quick ? 300 : 800 }, { timeoutMs: 10 * 60_000 }));
  }
  const sharedMet = shares.every((share) => share.shareOfLimit >= SHARED_LIMIT_TARGET && share.failed === 0) && upload.sameBytes;

  const shareMet = (rate.shareOfLimit ?? 0) >= UPSTREAM_SHARE_TARGET && rate.failedFor429 === 0 && rate.completed === rate.lines;
  const validationMet = validation.peakRssMbAfterValidation <= VALIDATION_RSS_TARGET_MB && validation.ratio <= VALIDATION_RATIO_TARGET;
  const overheadMet = overhead[0]!.ratio >= OVERHEAD_TARGET;
  return {
    section: "openaiBatch",
    targetMet: shareMet && validationMet && overheadMet && sharedMet,
    tables: [
      {
        title: `Upstream use: ${rate.lines} lines against a fake upstream limited to R = ${rpm} requests/min (10 s windows), 200 ms per call`,
        headers: ["figure", "value"],
        rows: [
          [`share of R kept (target ≥ ${UPSTREAM_SHARE_TARGET})`, rate.shareOfLimit ?? 0],
          ["lines failed because of 429 (target 0)", rate.failedFor429],
          ["429 answers from the upstream (retried)", rate.throttled],
          ["completed / failed lines", `${rate.completed} / ${rate.failed}`],
          ["seconds of upstream traffic", rate.upstreamSeconds],
        ],
      },
      {
        title: `Validation: ${validation.lines} lines, ${validation.fileMb.toFixed(0)} MB`,
        headers: ["figure", "value"],
        rows: [
          [`peak RSS MB of the app process after validating (target ≤ ${VALIDATION_RSS_TARGET_MB})`, validation.peakRssMbAfterValidation],
          ["docbatch's validator, seconds (streamed from the blob)", validation.validateSeconds],
          ["bare download + JSON.parse of every line, seconds", validation.bareSeconds],
          [`ratio (target ≤ ${VALIDATION_RATIO_TARGET})`, validation.ratio],
        ],
      },
      {
        title: `Overhead: lines/s against an unthrottled upstream, docbatch vs a bare script at ${LINES_IN_FLIGHT} requests in flight`,
        headers: ["upstream latency ms", "docbatch lines/s", "bare lines/s", "ratio", "most in flight (docbatch)"],
        rows: overhead.map((row) => [row.latencyMs, row.ours.linesPerSecond, row.bare.linesPerSecond, row.ratio, row.ours.maxInFlight]),
      },
      {
        title: `Uploads API: a ${upload.megabytes} MB file in ${upload.parts} parts of ${upload.partMegabytes} MB (npm client, md5 checked on completion)`,
        headers: ["figure", "value"],
        rows: [
          ["MB/s (create + parts + complete)", upload.megabytesPerSecond],
          ["seconds", upload.uploadSeconds],
          ["peak RSS MB (app and client in one process; the client holds one part)", upload.peakRssMb],
          ["read back byte for byte", upload.sameBytes ? "yes" : "NO"],
        ],
      },
      {
        title: `Shared limit: instances each configured with the upstream's R = 1200 requests/min, against one upstream enforcing it (10 s windows), 200 ms per call`,
        headers: ["instances", `share of R used (target ≥ ${SHARED_LIMIT_TARGET})`, "429s (retried)", "requests failed (target 0)", "seconds"],
        rows: shares.map((share) => [share.instances, share.shareOfLimit, share.throttled, share.failed, share.upstreamSeconds]),
      },
      ...(bigRun.run
        ? [
            {
              title: `A ${bigRun.lines}-line file (${bigRun.fileMb.toFixed(0)} MB) run as a batch against an unthrottled upstream (0 ms)`,
              headers: ["figure", "value"],
              rows: [
                ["status", bigRun.run.status],
                ["completed / failed", `${bigRun.run.completed} / ${bigRun.run.failed}`],
                ["validating s (validation + recording every line)", bigRun.run.validatingSeconds],
                ["processing s", bigRun.run.processingSeconds],
                ["lines/s", bigRun.run.linesPerSecond],
                ["finalizing s (assembling the output file)", bigRun.run.finalizingSeconds],
                ["output MB", bigRun.run.outputMb],
                ["peak RSS MB", bigRun.run.peakRssMb],
              ],
            },
          ]
        : []),
    ],
    notes: [
      `Upstream share: ${shareMet ? "met" : "MISSED"}; validation: ${validationMet ? "met" : "MISSED"}; overhead (at ${overhead[0]!.latencyMs} ms, an LLM-like latency): ${overheadMet ? "met" : "MISSED"}.`,
      "The share counts the requests the upstream answered 200 over the span from its first to its last request, against R per minute of that span.",
      `docbatch runs ${LINES_IN_FLIGHT} lines at once (16 activities × 8 lines); the bare script keeps the same number of requests in flight with p-limit. At shorter latencies the per-line storage work (item row, result record, outcome) weighs more: the second row shows it.`,
      "The big-file run is Azurite-bound: its in-memory table store slows as it fills (at 100,000 lines Azurite sat at 100 % CPU while the app idled at ~2 %), so lines/s falls with the file's size on the test storage; Azure Table Storage partitions scale out instead.",
      `Shared limit: ${sharedMet ? "met" : "MISSED"}. The instances' upstream clients run in one process, each with storage clients of its own on one Azurite, spending one timeline row (src/storage/tableRateTimeline.ts).`,
      "Peak RSS of validation is read in the app's own process (the local host with the whole app loaded) before the bare script runs in it.",
    ],
    data: { rate, overhead, validation, bigRun, upload, shares },
  };
}
