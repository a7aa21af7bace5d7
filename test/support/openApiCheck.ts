import assert from "node:assert/strict";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

/** One answer as it went over the wire. */
export interface Exchange {
  method: string;
  /** Path as requested (percent-encoded or not). */
  path: string;
  status: number;
  contentType?: string;
  allow?: string;
  /** The body, when it was kept whole (undefined: too large to keep, or not needed). */
  body?: Buffer;
}

/** Answers to paths the description does not hold: a refusal, never a success or a crash. */
const UNDESCRIBED_PATH_STATUSES = new Set([400, 404, 405]);

/** Statuses the host itself answers with no body before the app sees the request. */
const HOST_REFUSALS = new Set([413, 414, 431]);

/**
 * The rules every answer must keep against the app's own /openapi.json: its path template,
 * method and status are described, its media type is one of the described ones, a JSON body
 * matches its schema, and a method the description does not name is a 405 naming the ones it
 * does in `Allow` (or a 401 on a path that needs a key). Paths outside the description may only be refused (400, 404, 405).
 * Returns what is wrong (empty when nothing is).
 */
export function openApiValidator(document: any): (exchange: Exchange) => string[] {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: "openapi", components: document.components });
  const compiled = new Map<unknown, ValidateFunction>();
  const compile = (schema: unknown) => {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"openapi#/components')))));
    return validate;
  };
  const templates = Object.keys(document.paths)
    .map((template) => ({ template, pattern: templatePattern(template, document.paths[template]) }))
    // "/{modelId}:analyzeBatch" before "/{modelId}": the most literal template wins.
    .sort((a, b) => b.template.replace(/\{[^}]+\}/g, "").length - a.template.replace(/\{[^}]+\}/g, "").length);

  return (exchange) => {
    const label = `${exchange.method} ${exchange.path} → ${exchange.status}`;
    // The Functions host's own refusals (a body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: 413; a
    // request line or headers over its web server's limits: 414, 431) come bare, before the app
    // runs: they are the platform's answers, not ones /openapi.json describes.
    if (HOST_REFUSALS.has(exchange.status) && exchange.body?.length === 0 && !exchange.contentType) return [];
    let pathname: string | undefined;
    try {
      pathname = decodeURIComponent(exchange.path.split("?")[0]!);
    } catch {
      // Broken percent-encoding names no parameter value: a path outside the description.
    }
    const match = pathname === undefined ? undefined : templates.find(({ pattern }) => pattern.test(pathname!));
    if (!match) return UNDESCRIBED_PATH_STATUSES.has(exchange.status) ? [] : [`${label}: the path is not in /openapi.json, yet it was not refused`];
    const item = document.paths[match.template];
    const operation = item[exchange.method.toLowerCase()];
    if (!operation) {
      const described = Object.keys(item).map((name) => name.toUpperCase()).sort();
      // A key is checked before the method (as most servers do): a 401 comes first on a secured path.
      const secured = Object.values(item).some((described: any) => Array.isArray(described?.security) && described.security.length > 0);
      if (exchange.status === 401 && secured) return [];
      if (exchange.status !== 405) return [`${label}: ${exchange.method} ${match.template} is not in /openapi.json, so it must answer 405`];
      const allowed = exchange.allow?.split(/,\s*/).map((method) => method.toUpperCase()).sort() ?? [];
      return JSON.stringify(allowed) === JSON.stringify(described) ? [] : [`${label}: Allow is '${exchange.allow ?? ""}', /openapi.json describes ${described.join(", ")}`];
    }
    const response = operation.responses[String(exchange.status)];
    if (!response) return [`${label}: ${match.template} does not describe status ${exchange.status}`];
    if (!response.content) return [];
    const mediaType = exchange.contentType?.split(";")[0]!.trim().toLowerCase();
    if (!mediaType || !(mediaType in response.content)) {
      return [`${label}: content-type '${exchange.contentType ?? ""}' is not one of ${Object.keys(response.content).join(", ")}`];
    }
    const schema = response.content[mediaType].schema;
    if (mediaType !== "application/json" || !schema || exchange.body === undefined) return [];
    let body: unknown;
    try {
      body = JSON.parse(exchange.body.toString("utf8"));
    } catch {
      return [`${label}: the body is not JSON: ${exchange.body.toString("utf8").slice(0, 200)}`];
    }
    const validate = compile(schema);
    return validate(body) ? [] : [`${label}: the body breaks /openapi.json: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`];
  };
}

/**
 * A path template as a regular expression: a parameter matches one segment, or what its schema's
 * anchored `pattern` allows (so `{modelId}` stops at the `:` of `{modelId}:analyzeBatch`).
 */
function templatePattern(template: string, item: Record<string, any>): RegExp {
  const parameters = Object.values(item).flatMap((operation) => (Array.isArray(operation?.parameters) ? operation.parameters : []));
  const source = template.replace(/[.]/g, "\\.").replace(/\{([^}]+)\}/g, (_, name: string) => {
    const pattern = parameters.find((parameter: any) => parameter.in === "path" && parameter.name === name)?.schema?.pattern as string | undefined;
    const inner = pattern && /^\^(.*)\$$/.exec(pattern)?.[1];
    return inner ? `(?:${inner})` : "[^/]+";
  });
  return new RegExp(`^${source}$`);
}

/**
 * A checker for fetch responses: fails the test on any mismatch, answers the parsed JSON body
 * (undefined for other bodies).
 */
export async function openApiChecker(baseUrl: string) {
  const validate = openApiValidator(await (await fetch(`${baseUrl}/openapi.json`)).json());
  return async function check(method: string, response: Response): Promise<any> {
    const body = Buffer.from(await response.arrayBuffer());
    const url = new URL(response.url);
    const problems = validate({
      method,
      path: url.pathname + url.search,
      status: response.status,
      contentType: response.headers.get("content-type") ?? undefined,
      allow: response.headers.get("allow") ?? undefined,
      body,
    });
    assert.deepEqual(problems, []);
    const isJson = /^application\/json/i.test(response.headers.get("content-type") ?? "");
    return isJson && body.length > 0 ? JSON.parse(body.toString("utf8")) : undefined;
  };
}
