#!/usr/bin/env node
// The postdeploy check (infra/hooks/postdeploy.sh and .ps1 run it): one Document Intelligence
// batch through the deployed app, as a user would run it. Creates the containers `documents` and
// `results` in the app's own storage account (which docbatch reaches without a SAS), uploads three
// small documents, starts the batch, waits for it, and prints the counts and the .ocr.json paths,
// or what to look at when a step fails. docs/deploy.md explains each failure.
//
// Inputs (azd passes its environment's values as variables): DOCBATCH_URL, KEY_VAULT_NAME,
// DOCBATCH_API_KEYS_SECRET_NAME, AZURE_STORAGE_ACCOUNT_NAME. Signed in as the deploying user
// (azd auth login or az login: DefaultAzureCredential). For a run against `npm run local`
// (test/deploy/firstBatch.test.ts): DOCBATCH_CHECK_API_KEY and DOCBATCH_CHECK_STORAGE_CONNECTION_STRING.
import { BlobServiceClient } from "@azure/storage-blob";
import { DefaultAzureCredential } from "@azure/identity";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = process.env;
/** How long the app and the batch get (first start, role propagation, scale from zero). */
const WAIT_MS = Number(env.DOCBATCH_CHECK_WAIT_SECONDS || 900) * 1000;
const API_VERSION = "2024-11-30";

class CheckFailed extends Error {}
const fail = (step, why, lookAt) => {
  throw new CheckFailed(`${step} failed: ${why}\n  What to look at: ${lookAt}`);
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const describe = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

async function main() {
  const url = (env.DOCBATCH_URL || "").replace(/\/+$/, "");
  if (!url) fail("Finding the app", "DOCBATCH_URL is not set", "run `azd provision` (or `azd up`): the URL is a Bicep output.");
  console.log(`docbatch postdeploy check against ${url}`);

  const credential = env.DOCBATCH_CHECK_API_KEY && env.DOCBATCH_CHECK_STORAGE_CONNECTION_STRING ? undefined : new DefaultAzureCredential();
  const key = await apiKey(credential);
  const blobs = env.DOCBATCH_CHECK_STORAGE_CONNECTION_STRING
    ? BlobServiceClient.fromConnectionString(env.DOCBATCH_CHECK_STORAGE_CONNECTION_STRING)
    : new BlobServiceClient(`https://${env.AZURE_STORAGE_ACCOUNT_NAME}.blob.core.windows.net`, credential);

  await healthy(url);
  const run = `postdeploy-${new Date().toISOString().replace(/[-:.]/g, "").slice(0, 15)}`;
  const documents = blobs.getContainerClient("documents");
  const results = blobs.getContainerClient("results");
  try {
    await documents.createIfNotExists();
    await results.createIfNotExists();
    for (const [name, body] of Object.entries(sampleDocuments())) await documents.getBlockBlobClient(`${run}/${name}`).uploadData(body);
  } catch (error) {
    fail(
      "Uploading three documents to the app's storage account",
      describe(error),
      `your account needs Storage Blob Data Owner on ${blobs.accountName} (roles.bicep grants it to AZURE_PRINCIPAL_ID); a new role takes up to ten minutes: run \`azd hooks run postdeploy\` again. With VNET_ENABLED the account takes no public traffic: run the check from inside the network.`,
    );
  }
  console.log(`Uploaded 3 documents to ${documents.url}/${run}/`);

  const start = await call(`${url}/documentintelligence/documentModels/prebuilt-read:analyzeBatch?api-version=${API_VERSION}`, key, {
    method: "POST",
    body: JSON.stringify({ azureBlobSource: { containerUrl: documents.url, prefix: `${run}/` }, resultContainerUrl: results.url, resultPrefix: `${run}/` }),
  });
  if (start.status !== 202) {
    fail("Starting the batch", `${start.status} ${await start.text()}`, lookAtFor(start.status));
  }
  const operation = start.headers.get("operation-location");
  console.log(`Batch started: ${operation}`);

  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const poll = await call(operation, key);
    if (poll.status !== 200) fail("Polling the batch", `${poll.status} ${await poll.text()}`, lookAtFor(poll.status));
    const body = await poll.json();
    if (["succeeded", "failed", "completed", "canceled"].includes(body.status)) return report(body, results.url);
    if (Date.now() > deadline) {
      fail("Waiting for the batch", `still ${body.status} (${body.percentCompleted ?? 0}%) after ${WAIT_MS / 1000} s`, "the app's Durable Functions backend: Application Insights (traces of the orchestrations), the Flex Consumption instance quota of the region (Quotas in the portal) and, with DurableTaskScheduler, the scheduler's dashboard.");
    }
    await sleep(Math.min(10_000, Number(poll.headers.get("retry-after") || 2) * 1000));
  }
}

function report(body, resultsUrl) {
  const result = body.result ?? {};
  console.log(`\nBatch ${body.status}: ${result.succeededCount ?? 0} succeeded, ${result.failedCount ?? 0} failed, ${result.skippedCount ?? 0} skipped.`);
  for (const detail of result.details ?? []) {
    if (detail.resultUrl) console.log(`  ${detail.resultUrl}`);
    else console.log(`  ${detail.sourceUrl}: ${detail.status}${detail.error ? ` (${detail.error.code}: ${detail.error.message})` : ""}`);
  }
  if (body.status !== "succeeded" || (result.failedCount ?? 0) > 0) {
    fail("The first batch", `it ended ${body.status} with ${result.failedCount ?? 0} failed documents (above)`, "the errors above; Application Insights for the app's logs. 429/QuotaExceeded means a quota (Document Intelligence, or the region's Flex Consumption instances); Forbidden on the results means the identity's role on the account is still propagating.");
  }
  console.log(`\ndocbatch works. Results are in ${resultsUrl}.`);
}

async function apiKey(credential) {
  if (env.DOCBATCH_CHECK_API_KEY) return env.DOCBATCH_CHECK_API_KEY;
  const secret = env.DOCBATCH_API_KEYS_SECRET_NAME || "docbatch-api-keys";
  const { keyVaultSecretReader } = await import(pathToFileURL(path.join(root, "dist", "src", "config", "keyVaultReferences.js")).href);
  try {
    const keys = await keyVaultSecretReader(credential)(`https://${env.KEY_VAULT_NAME}.vault.azure.net/secrets/${secret}`);
    return keys.split(",")[0].trim();
  } catch (error) {
    return fail(
      "Reading the API key from Key Vault",
      describe(error),
      `sign in as the deploying user (azd auth login / az login); your account needs Key Vault Secrets User on ${env.KEY_VAULT_NAME} (roles.bicep grants it to AZURE_PRINCIPAL_ID), which takes up to ten minutes after the first provision: run \`azd hooks run postdeploy\` again.`,
    );
  }
}

/** /health answers 200 once the app runs and reaches its storage; 503 and no answer are waited out. */
async function healthy(url) {
  const deadline = Date.now() + WAIT_MS;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) });
      if (response.status === 200) return console.log("The app is up and reaches its storage.");
      last = `${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = describe(error);
    }
    await sleep(10_000);
  }
  fail("Waiting for /health", last, "a 503 naming storage: the app's identity's Storage roles are still propagating (up to ten minutes) or, with VNET_ENABLED, the private endpoints; 404 or no answer: the deployment (azd deploy's output, the remote build log in the portal's Deployment Center).");
}

/** A request with the key; a 503 (first start, role propagation) is retried after Retry-After. */
async function call(target, key, init = {}) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const response = await fetch(target, { ...init, headers: { "ocp-apim-subscription-key": key, "content-type": "application/json" }, signal: AbortSignal.timeout(60_000) });
    if (response.status !== 503 || Date.now() > deadline) return response;
    console.log(`  503 (${(await response.text()).slice(0, 200)}); retrying`);
    await sleep(Number(response.headers.get("retry-after") || 10) * 1000);
  }
}

function lookAtFor(status) {
  if (status === 401) return "the key: the app reads DOCBATCH_API_KEYS from Key Vault; if you changed the secret, restart the app (az functionapp restart) so it reads it again.";
  if (status === 403 || status === 400) return "the answer above: a storage URL docbatch may not reach (DOCBATCH_ALLOWED_STORAGE_ACCOUNTS holds the app's own account) or an identity role still propagating (up to ten minutes).";
  if (status === 404) return "the deployment: no function answered. Check azd deploy's output and the remote build log (portal: Deployment Center).";
  if (status === 413) return "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (app settings).";
  if (status === 429) return "a quota: Document Intelligence's or the region's Flex Consumption instances (portal: Quotas).";
  return "Application Insights (the app's logs) for the failing request.";
}

/** Three small documents: text, HTML and a one-page PDF, each naming what it is. */
function sampleDocuments() {
  const pdfText = "docbatch postdeploy check: PDF";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${44 + pdfText.length} >>\nstream\nBT /F1 24 Tf 72 700 Td (${pdfText}) Tj ET\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets = objects.map((object, index) => {
    const at = pdf.length;
    pdf += `${index + 1} 0 obj\n${object}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return {
    "hello.txt": Buffer.from("docbatch postdeploy check: plain text\n"),
    "note.html": Buffer.from("<!doctype html><html><body><h1>docbatch postdeploy check</h1><p>HTML</p></body></html>\n"),
    "page.pdf": Buffer.from(pdf, "latin1"),
  };
}

main().catch((error) => {
  console.error(`\n${error instanceof CheckFailed ? error.message : `The postdeploy check failed: ${describe(error)}`}`);
  console.error("docs/deploy.md (The postdeploy check) explains each failure.");
  process.exit(1);
});
