import * as df from "durable-functions";
import { analyzeDocument, type AnalyzeDocumentInput } from "../batch/analyzeDocument.js";
import type { BatchRef, DocumentRange } from "../batch/batchRef.js";
import { failUnfinishedDocuments, finishBatch } from "../batch/finishBatch.js";
import { prepareBatch } from "../batch/prepareBatch.js";
import { getBatchServices } from "../batch/services.js";
import { Activities } from "../orchestration/names.js";

df.app.activity(Activities.prepareBatch, { handler: (ref: BatchRef) => prepareBatch(ref, getBatchServices()) });
df.app.activity(Activities.analyzeDocument, { handler: (input: AnalyzeDocumentInput) => analyzeDocument(input, getBatchServices()) });
df.app.activity(Activities.finishBatch, { handler: (ref: BatchRef) => finishBatch(ref, getBatchServices()) });
df.app.activity(Activities.failUnfinishedDocuments, {
  handler: (range: DocumentRange & { reason: string }) => failUnfinishedDocuments(range, getBatchServices()),
});
