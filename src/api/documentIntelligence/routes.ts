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
}

export { MODEL_ID_PATTERN } from "../../analyzers/modelId.js";
export const RESULT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function matchRoute(method: string, path: string): RouteMatch {
  const segments = path.split("/").filter((segment) => segment.length > 0).map(decodeURIComponent);
  const verb = method.toUpperCase();
  if (segments[0] !== "documentModels") return { allowed: [] };

  if (segments.length === 1) return pick(verb, { GET: { kind: "listModels" } });
  const [, second, third, fourth] = segments;

  if (segments.length === 2) {
    const colon = second.lastIndexOf(":");
    if (colon > 0 && second.slice(colon + 1) === "analyzeBatch") {
      return pick(verb, { POST: { kind: "analyzeBatch", modelId: second.slice(0, colon) } });
    }
    return pick(verb, { GET: { kind: "getModel", modelId: second } });
  }
  if (third !== "analyzeBatchResults") return { allowed: [] };
  if (segments.length === 3) return pick(verb, { GET: { kind: "listBatches", modelId: second } });
  if (segments.length === 4) {
    return pick(verb, {
      GET: { kind: "getBatch", modelId: second, resultId: fourth },
      DELETE: { kind: "deleteBatch", modelId: second, resultId: fourth },
    });
  }
  return { allowed: [] };
}

function pick(verb: string, byMethod: Record<string, DiOperation>): RouteMatch {
  return { operation: byMethod[verb], allowed: Object.keys(byMethod) };
}
