// `docbatch analyze <folder | container URL>`: the Document Intelligence flow end to end.
import path from "node:path";
import { ContainerClient } from "@azure/storage-blob";
import { blobNameIn, containerForUpload, requireUploadStorage, containerSasUrl, downloadBlobs, listLocalFiles, uploadFiles } from "../blobTransfer.js";
import { checkContainerUrl, resolveConnection, type Connection } from "../connection.js";
import { ExitCode, UsageError } from "../exitCodes.js";
import { followWithProgress } from "../follow.js";
import { DocumentIntelligenceDoor, failedDocuments, type DiBatchState } from "../frontDoors/documentIntelligence.js";
import { outputModeFor, ProgressDisplay } from "../progress.js";
import { warnedDocuments } from "../resultWarnings.js";
import { exitCodeFor, printSummary } from "../summary.js";

export interface AnalyzeOptions {
  model: string;
  out?: string;
  prefix?: string;
  overwrite?: boolean;
  container?: string;
  results?: string;
  resultPrefix?: string;
  cancelOnExit?: boolean;
  json?: boolean;
  data?: string;
}

/** Where the documents are and where their results go. */
interface BatchPlace {
  source: ContainerClient;
  sourceSasUrl: string;
  prefix: string;
  results: ContainerClient;
  resultsSasUrl: string;
  resultPrefix: string;
  /** Known when the CLI uploaded the documents itself. */
  documentCount?: number;
}

const UPLOAD_PREFIX = "documents/";
const RESULT_PREFIX = "results/";

export async function analyze(source: string, options: AnalyzeOptions): Promise<ExitCode> {
  const connection = resolveConnection({ dataDir: options.data });
  const mode = outputModeFor(options);
  const progress = new ProgressDisplay(mode);
  const started = Date.now();
  const door = new DocumentIntelligenceDoor(connection);
  const fromUrl = /^https?:\/\//i.test(source);
  // Settings a shell may have cut are checked before anything is sent.
  if (fromUrl) checkContainerUrls(source, options);
  else requireUploadStorage(connection.storageConnectionString);
  await door.requireModel(options.model);
  const place = fromUrl ? await containerPlace(source, options) : await uploadFolder(source, options, connection, progress);

  const { id } = await door.start(options.model, {
    azureBlobSource: { containerUrl: place.sourceSasUrl, ...(place.prefix ? { prefix: place.prefix } : {}) },
    resultContainerUrl: place.resultsSasUrl,
    ...(place.resultPrefix ? { resultPrefix: place.resultPrefix } : {}),
    ...(options.overwrite ? { overwriteExisting: true } : {}),
  });
  progress.note(`Batch ${id} started (model ${options.model}).`);

  const final = await followWithProgress<DiBatchState>({
    id,
    phase: "Analyzing",
    total: place.documentCount,
    progress,
    poll: () => door.get(options.model, id),
    cancelOnExit: options.cancelOnExit,
    cancel: () => door.cancel(options.model, id),
  });
  if (final === "interrupted") return ExitCode.interrupted;

  const sourceBase = baseUrl(place.source.url);
  const nameOf = (sourceUrl: string) => relativeTo(place.prefix, blobNameIn(sourceBase, sourceUrl) ?? sourceUrl);
  const downloaded = options.out ? await downloadResults(final, place, nameOf, options.out) : undefined;
  const warned = await warnedDocuments(place.results, resultBlobs(final, place, nameOf));
  printSummary(
    {
      batch: final.view,
      failed: failedDocuments(final.details, nameOf),
      ...(warned.length ? { warned } : {}),
      ...(downloaded !== undefined ? { downloaded: { count: downloaded, folder: path.resolve(options.out!) } } : {}),
      elapsedMs: Date.now() - started,
    },
    mode,
  );
  if (!options.out && mode !== "json") process.stdout.write(`Results are in ${baseUrl(place.results.url)}/${place.resultPrefix} (add --out DIR to download them).\n`);
  return exitCodeFor(final.view);
}

async function uploadFolder(folder: string, options: AnalyzeOptions, connection: Connection, progress: ProgressDisplay): Promise<BatchPlace> {
  const files = await listLocalFiles(folder);
  if (files.length === 0) throw new UsageError(`${folder} holds no files to analyze.`);
  const container = await containerForUpload(connection.storageConnectionString, options.container);
  const prefix = normalizePrefix(options.prefix ?? UPLOAD_PREFIX);
  progress.note(`Uploading ${files.length} files from ${folder} to container ${container.containerName}/${prefix}`);
  progress.begin("Uploading", { total: files.length, succeeded: 0, failed: 0, skipped: 0 });
  await uploadFiles({ container, folder, files, prefix, onUploaded: (done) => progress.update({ total: files.length, succeeded: done, failed: 0, skipped: 0 }) });
  progress.end();
  const sasUrl = await containerSasUrl(container, "rwlc");
  return {
    source: container,
    sourceSasUrl: sasUrl,
    prefix,
    results: container,
    resultsSasUrl: sasUrl,
    resultPrefix: normalizePrefix(options.resultPrefix ?? RESULT_PREFIX),
    documentCount: files.length,
  };
}

function checkContainerUrls(sourceUrl: string, options: AnalyzeOptions): void {
  checkContainerUrl(sourceUrl, "The container URL");
  if (options.results) checkContainerUrl(options.results, "--results");
}

async function containerPlace(sourceUrl: string, options: AnalyzeOptions): Promise<BatchPlace> {
  if (options.container) throw new UsageError("--container names the container a local folder is uploaded to; with a container URL, leave it out.");
  const resultsUrl = options.results ?? sourceUrl;
  const sameContainer = baseUrl(resultsUrl) === baseUrl(sourceUrl);
  return {
    source: new ContainerClient(sourceUrl),
    sourceSasUrl: sourceUrl,
    prefix: options.prefix ?? "",
    results: new ContainerClient(resultsUrl),
    resultsSasUrl: resultsUrl,
    // Results next to the documents go under their own folder, so a later run does not analyze them.
    resultPrefix: options.resultPrefix ?? (sameContainer ? RESULT_PREFIX : ""),
  };
}

async function downloadResults(final: DiBatchState, place: BatchPlace, nameOf: (sourceUrl: string) => string, outDir: string): Promise<number> {
  const blobs = resultBlobs(final, place, nameOf).map(({ blobName, relativePath }) => ({ blobName, relativePath }));
  return downloadBlobs({ container: place.results, blobs, outDir });
}

/** The result blob of each succeeded document, and of each skipped one (it had a result from an earlier run). */
function resultBlobs(final: DiBatchState, place: BatchPlace, nameOf: (sourceUrl: string) => string): { blobName: string; relativePath: string; name: string }[] {
  const resultsBase = baseUrl(place.results.url);
  return final.details.flatMap((detail) => {
    if (detail.status === "succeeded" && detail.resultUrl) {
      const blobName = blobNameIn(resultsBase, detail.resultUrl);
      return blobName ? [{ blobName, relativePath: relativeTo(place.resultPrefix, blobName), name: nameOf(detail.sourceUrl) }] : [];
    }
    if (detail.status === "skipped") {
      const relativePath = `${nameOf(detail.sourceUrl)}.ocr.json`;
      return [{ blobName: place.resultPrefix + relativePath, relativePath, name: nameOf(detail.sourceUrl) }];
    }
    return [];
  });
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "");
  return trimmed && !trimmed.endsWith("/") ? `${trimmed}/` : trimmed;
}

function relativeTo(prefix: string, name: string): string {
  return prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** A container URL without its SAS query. */
function baseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
}
