import * as df from "durable-functions";
import { analyzeDocument, type AnalyzeDocumentInput } from "../batch/analyzeDocument.js";
import { failUnfinishedDocuments, finishBatch, prepareBatch, type BatchRef, type DocumentRange } from "../batch/prepareBatch.js";
import { getBatchServices } from "../batch/services.js";
import { Activities } from "../orchestration/names.js";

df.app.activity(Activities.prepareBatch, { handler: (ref: BatchRef) => prepareBatch(ref, getBatchServices()) });
df.app.activity(Activities.analyzeDocument, { handler: (input: AnalyzeDocumentInput) => analyzeDocument(input, getBatchServices()) });
df.app.activity(Activities.finishBatch, { handler: (ref: BatchRef) => finishBatch(ref, getBatchServices()) });
df.app.activity(Activities.failUnfinishedDocuments, {
  handler: (range: DocumentRange & { reason: string }) => failUnfinishedDocuments(range, getBatchServices()),
});
