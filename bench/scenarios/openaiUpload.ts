/**
 * A big file through the Uploads API in its own process: `--mb` MB of JSONL sent by the official
 * npm client in parts of `--part-mb` MB (one part built in memory at a time, as a client reading a
 * file would), completed with its md5, then read back and compared by hash.
 *
 * `node dist/bench/scenarios/openaiUpload.js --mb 200 --part-mb 64`
 */
import { createHash } from "node:crypto";
import OpenAI, { toFile } from "openai";
import { startDocbatch } from "../../test/support/docbatchHost.js";
import { numberArg, peakRssMb, scenarioMain } from "../lib/childScenario.js";

export interface OpenAiUploadRun {
  megabytes: number;
  partMegabytes: number;
  parts: number;
  /** Create, parts and complete (md5 checked by the app), seconds. */
  uploadSeconds: number;
  megabytesPerSecond: number;
  /** Peak RSS of this process: the app (local host) and the client, which holds one part. */
  peakRssMb: number;
  sameBytes: boolean;
}

/** Part `index` of a file of JSONL lines, made on demand so that the whole file is never in memory. */
function partBytes(index: number, partBytes: number, totalBytes: number): Buffer {
  const line = Buffer.from(`${JSON.stringify({ custom_id: "x", method: "POST", url: "/v1/chat/completions", body: { model: "m", messages: [{ role: "user", content: "y".repeat(900) }] } })}\n`);
  const start = index * partBytes;
  const length = Math.min(partBytes, totalBytes - start);
  const part = Buffer.alloc(length);
  for (let at = 0; at < length; at++) part[at] = line[(start + at) % line.length]!;
  return part;
}

scenarioMain(async (args): Promise<OpenAiUploadRun> => {
  const megabytes = numberArg(args, "mb", 200);
  const partMegabytes = numberArg(args, "part-mb", 64);
  const totalBytes = megabytes * 1024 * 1024;
  const partSize = partMegabytes * 1024 * 1024;
  const parts = Math.ceil(totalBytes / partSize);
  const docbatch = await startDocbatch({ env: { DOCBATCH_OPENAI_MAX_FILE_BYTES: String(totalBytes) } });
  try {
    const client = new OpenAI({ baseURL: `${docbatch.host.url}/v1`, apiKey: docbatch.apiKey, maxRetries: 0, timeout: 600_000 });
    const md5 = createHash("md5");
    const started = performance.now();
    const upload = await client.uploads.create({ bytes: totalBytes, filename: "big.jsonl", mime_type: "application/jsonl", purpose: "batch" });
    const ids: string[] = [];
    for (let index = 0; index < parts; index++) {
      const bytes = partBytes(index, partSize, totalBytes);
      md5.update(bytes);
      ids.push((await client.uploads.parts.create(upload.id, { data: await toFile(bytes, `part-${index}`) })).id);
    }
    const digest = md5.digest("hex");
    const completed = await client.uploads.complete(upload.id, { part_ids: ids, md5: digest });
    const uploadSeconds = (performance.now() - started) / 1000;
    const back = createHash("md5");
    for await (const chunk of (await client.files.content(completed.file!.id)).body as unknown as AsyncIterable<Uint8Array>) back.update(chunk);
    return {
      megabytes,
      partMegabytes,
      parts,
      uploadSeconds,
      megabytesPerSecond: megabytes / uploadSeconds,
      peakRssMb: peakRssMb(),
      sameBytes: back.digest("hex") === digest,
    };
  } finally {
    await docbatch.close();
  }
});
