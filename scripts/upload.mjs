#!/usr/bin/env node
// Uploads a local folder into a container of the local Azurite, without `az`:
//
//   node scripts/upload.mjs <folder> <container>    # recursively, names relative to the folder
//   node scripts/upload.mjs --create <container>    # just create an (empty) container, e.g. for results
//
// The connection string comes from AZURE_STORAGE_CONNECTION_STRING, or else from the file a running
// `npm run local` writes (.local-data/docbatch.env, or <DIR>/docbatch.env with --data DIR).
// Containers are created when missing; existing blobs of the same name are replaced.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BlobServiceClient } from "@azure/storage-blob";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({ allowPositionals: true, options: { create: { type: "string" }, data: { type: "string" } } });

const usage = "usage: node scripts/upload.mjs <folder> <container>   |   node scripts/upload.mjs --create <container>";
const [folder, containerName] = values.create ? [undefined, values.create] : positionals;
if (!containerName || (!values.create && !folder)) fail(usage);

const connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING || fromEndpointsFile(values.data ? path.resolve(values.data) : path.join(root, ".local-data"));
const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
try {
  await container.createIfNotExists();
} catch (error) {
  fail(`Could not create container '${containerName}' (${error.message.split("\n")[0]}). Is \`npm run local\` running? Container names are 3-63 lowercase letters, digits and hyphens.`);
}

if (folder) {
  const base = path.resolve(folder);
  if (!statSync(base, { throwIfNoEntry: false })?.isDirectory()) fail(`${folder} is not a folder. ${usage}`);
  let count = 0;
  for (const file of filesUnder(base)) {
    const name = path.relative(base, file).split(path.sep).join("/");
    await container.getBlockBlobClient(name).uploadFile(file);
    count++;
  }
  console.log(`Uploaded ${count} file(s) from ${folder} to ${container.url}`);
} else {
  console.log(`Container ${container.url} is ready`);
}

function* filesUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(full);
    else if (entry.isFile()) yield full;
  }
}

function fromEndpointsFile(dir) {
  const file = path.join(dir, "docbatch.env");
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    fail(`Set AZURE_STORAGE_CONNECTION_STRING (printed by \`npm run local\`), or start \`npm run local\` so that ${path.relative(process.cwd(), file) || file} exists.`);
  }
  const line = text.split("\n").find((l) => l.startsWith("AZURE_STORAGE_CONNECTION_STRING="));
  if (!line) fail(`${file} has no AZURE_STORAGE_CONNECTION_STRING line.`);
  return line.slice("AZURE_STORAGE_CONNECTION_STRING=".length).trim();
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
