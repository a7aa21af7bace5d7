import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startDocbatch, type Docbatch } from "../support/docbatchHost.js";
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from "../support/fakeOpenAiUpstream.js";
import { runPython } from "../support/python.js";
import { EXTRACTION_MODEL, extractionEnv } from "../uploadBatch/support.js";

const SEED = process.env.FUZZ_SEED ?? "20261203";

describe("schemathesis over the served /openapi.json", () => {
  let fake: FakeOpenAiUpstream;
  let docbatch: Docbatch;
  before(async () => {
    fake = await startFakeOpenAiUpstream({ models: [EXTRACTION_MODEL] });
    docbatch = await startDocbatch({
      env: extractionEnv(fake),
    });
  });
  after(async () => {
    await docbatch?.close();
    await fake?.close();
  });

  test("every operation: no 5xx, statuses, media types and bodies as described, 401 without a key, 405 with Allow", async () => {
    const reportDir = await mkdtemp(path.join(tmpdir(), "docbatch-schemathesis-"));
    // Keys by the description's security schemes, so the auth checks can leave them out or spoil them.
    const config = path.join(reportDir, "schemathesis.toml");
    await writeFile(config, `[auth.openapi.apiKey]\napi_key = "${docbatch.apiKey}"\n\n[auth.openapi.bearer]\nbearer = "${docbatch.apiKey}"\n`);
    const report = path.join(reportDir, "report.json");
    const run = await runPython(
      { code: "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())" },
      {
        args: [
          "--config-file", config,
          "run", `${docbatch.host.url}/openapi.json`,
          "--url", docbatch.host.url,
          "--checks", "all",
          // "Schema-valid means accepted" cannot hold here: a container URL must name a container
          // docbatch may reach, an extraction schema string must parse, a batchIndex must be one of
          // the batch's; those are documented 400s, not something JSON Schema can say.
          "--exclude-checks", "positive_data_acceptance",
          "--max-examples", process.env.FUZZ_EXAMPLES ?? "20",
          "--seed", SEED,
          "--workers", "1",
          "--phases", "examples,coverage,fuzzing",
          "--no-color",
          "--report", "json",
          "--report-json-path", report,
        ],
        timeoutMs: 540_000,
      },
    );
    const summary = JSON.parse(await readFile(report, "utf8").catch(() => "{}")) as {
      test_cases?: { generated: number; with_failures: number };
      operations?: { tested: number; total: number };
      failures?: { code: string; title: string; operations: string[] }[];
    };
    const cases = summary.test_cases?.generated ?? 0;
    console.log(`schemathesis (seed ${SEED}): ${cases} cases over ${summary.operations?.tested ?? 0} of ${summary.operations?.total ?? 0} operations, ${summary.test_cases?.with_failures ?? "?"} with failures`);
    const failures = (summary.failures ?? []).map((failure) => `${failure.code} ${failure.title}: ${failure.operations.join(", ")}`);
    assert.deepEqual(failures, [], run.stdout.slice(-30_000));
    assert.equal(run.exitCode, 0, `${run.stdout.slice(-10_000)}\n${run.stderr.slice(-5_000)}`);
    assert.equal(summary.operations?.tested, summary.operations?.total, "every operation was tested");
    assert.ok(cases > 500, `schemathesis ran ${cases} cases`);
  });
});
