import type { ContainerClient } from "@azure/storage-blob";
import pLimit from "p-limit";
import { createContainer, sasUrlFor, type Docbatch } from "../../test/support/docbatchHost.js";

/*
 * The documents of the storage and throughput benchmarks: small plain-text files, so that
 * analysis is cheap and what is measured is docbatch's own overhead around the storage work.
 */

const SENTENCES = [
  "Invoice number 48213 was paid on March 14, 2024.",
  "Shipping address: 221 Baker Street, London.",
  "Total amount due: 1,250.75 euros before July.",
  "Batch analysis reads every page of every document.",
];

export function smallDocumentName(index: number): string {
  return `docs/doc-${String(index).padStart(6, "0")}.txt`;
}

export function smallDocumentText(index: number): string {
  return `Document ${index}\n\n${SENTENCES.join("\n")}\n\nReference ${index * 7919}.\n`;
}

/** Uploads `count` small text documents in parallel (setup, not measured). */
export async function uploadSmallDocuments(container: ContainerClient, count: number, concurrency = 32): Promise<string[]> {
  const limit = pLimit(concurrency);
  const names = Array.from({ length: count }, (_, index) => smallDocumentName(index));
  await Promise.all(
    names.map((name, index) =>
      limit(async () => {
        const body = Buffer.from(smallDocumentText(index), "utf8");
        await container.getBlockBlobClient(name).upload(body, body.byteLength, { blobHTTPHeaders: { blobContentType: "text/plain" } });
      }),
    ),
  );
  return names;
}

/** A source container of `count` small documents, an empty result container, and the analyzeBatch body naming both (setup, not measured). */
export async function smallDocumentBatch(docbatch: Docbatch, count: number) {
  const source = await createContainer(docbatch.blobService);
  const results = await createContainer(docbatch.blobService);
  await uploadSmallDocuments(source, count);
  const body = {
    azureBlobSource: { containerUrl: await sasUrlFor(source, docbatch.azurite, "rl") },
    resultContainerUrl: await sasUrlFor(results, docbatch.azurite, "rwlc"),
  };
  return { source, results, body };
}
