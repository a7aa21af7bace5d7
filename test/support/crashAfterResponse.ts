// Loaded into a local host process with `node --import` by tests that need a real crash inside
// an activity: DOCBATCH_TEST_CRASH="PUT <path regex> <n>" kills the process (SIGKILL) when the
// n-th matching outgoing request has had its answer (local-host/durable/faults.ts).
import { crashProcessAfterResponse } from "../../local-host/durable/faults.js";

const spec = process.env.DOCBATCH_TEST_CRASH;
if (spec) {
  const [method, pattern, after] = spec.split(" ");
  crashProcessAfterResponse({ method, path: new RegExp(pattern), after: Number(after) });
}
