/**
 * Parses the paths under `/documentintelligence/` itself: model ids may contain '.', and the
 * `:analyzeBatch` suffix follows a route parameter, both of which Functions route templates
 * handle poorly, so one catch-all route hands the rest of the path here.
 */
export type DiOperation =
  | { kind: "analyzeBatch"; modelId: string }
  | { kind: "getBatch"; modelId: string; resultId: string }
  | { kind: "listBatches"; modelId: string }
  | { kind: "deleteBatch"; modelId: string; resultId: string }
  | { kind: "listModels" }
  | { kind: "getModel"; modelId: string };

export interface RouteMatch {
  operation?: DiOperation;
  /** Methods the path supports, for 405 answers. */
  allowed: string[];
  /** Why no operation matched, when the path itself is the caller's mistake (400/404 with this message). */
  problem?: { status: 400 | 404; code: string; message: string };
}

/** The operations DI names after a colon, as the service spells them: names are case-sensitive. */
const COLON_OPERATIONS = ["analyzeBatch"];

export { MODEL_ID_PATTERN } from "../../analyzers/modelId.js";
export const RESULT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function matchRoute(method: string, path: string): RouteMatch {
  const segments = decodeSegments(path);
  if (!segments) {
    return {
      allowed: [],
      problem: {
        status: 400,
        code: "InvalidPath",
        message: "The request path has malformed percent-encoding: every '%' must start a UTF-8 escape such as %2F. Encode the model id with encodeURIComponent.",
      },
    };
  }
  const verb = method.toUpperCase();
  if (segments[0] !== "documentModels") {
    if (segments[0]?.toLowerCase() === "documentmodels") return caseMistake(segments[0], "documentModels");
    return { allowed: [] };
  }

  if (segments.length === 1) return pick(verb, { GET: { kind: "listModels" } });
  const [, second, third, fourth] = segments;

  if (segments.length === 2) {
    const colon = second.lastIndexOf(":");
    if (colon > 0) {
      const name = second.slice(colon + 1);
      if (name === "analyzeBatch") return pick(verb, { POST: { kind: "analyzeBatch", modelId: second.slice(0, colon) } });
      const meant = COLON_OPERATIONS.find((known) => known.toLowerCase() === name.toLowerCase());
      if (meant) return caseMistake(`:${name}`, `:${meant}`);
      return {
        allowed: [],
        problem: { status: 404, code: "NotFound", message: `docbatch offers no operation ':${name}' on a model; it serves POST /documentModels/{modelId}:analyzeBatch.` },
      };
    }
    return pick(verb, { GET: { kind: "getModel", modelId: second } });
  }
  if (third !== "analyzeBatchResults") {
    if (third.toLowerCase() === "analyzebatchresults") return caseMistake(third, "analyzeBatchResults");
    return { allowed: [] };
  }
  if (segments.length === 3) return pick(verb, { GET: { kind: "listBatches", modelId: second } });
  if (segments.length === 4) {
    return pick(verb, {
      GET: { kind: "getBatch", modelId: second, resultId: fourth },
      DELETE: { kind: "deleteBatch", modelId: second, resultId: fourth },
    });
  }
  return { allowed: [] };
}

function decodeSegments(path: string): string[] | undefined {
  try {
    return path.split("/").filter((segment) => segment.length > 0).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function caseMistake(sent: string, meant: string): RouteMatch {
  return {
    allowed: [],
    problem: { status: 404, code: "NotFound", message: `Operation names are case-sensitive: use '${meant}', not '${sent}'.` },
  };
}

function pick(verb: string, byMethod: Record<string, DiOperation>): RouteMatch {
  return { operation: byMethod[verb], allowed: Object.keys(byMethod) };
}
