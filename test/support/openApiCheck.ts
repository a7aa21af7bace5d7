import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";

/**
 * Checks responses against the app's own /openapi.json: the path template, method and status
 * must be described, and a JSON body must match its schema. A mismatch fails the test.
 */
export async function openApiChecker(baseUrl: string) {
  const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as any;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ $id: "openapi", components: document.components });
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }))
    // "/{modelId}:analyzeBatch" before "/{modelId}": the most literal template wins.
    .sort((a, b) => b.template.replace(/\{[^}]+\}/g, "").length - a.template.replace(/\{[^}]+\}/g, "").length);

  return async function check(method: string, response: Response): Promise<any> {
    const pathname = decodeURIComponent(new URL(response.url).pathname);
    const match = templates.find(({ pattern }) => pattern.test(pathname));
    assert.ok(match, `${pathname} is not in /openapi.json`);
    const operation = document.paths[match.template][method.toLowerCase()];
    if (!operation) {
      // A method the description does not name must be refused, naming the ones it does.
      assert.equal(response.status, 405, `${method} ${match.template} is not in /openapi.json and answered ${response.status}, not 405`);
      const described = Object.keys(document.paths[match.template]).map((name) => name.toUpperCase()).sort();
      assert.deepEqual(response.headers.get("allow")?.split(/,\s*/).sort(), described);
      return response.json();
    }
    const described = operation.responses[String(response.status)];
    assert.ok(described, `${method} ${match.template} answered ${response.status}, which /openapi.json does not describe`);
    const schema = described.content?.["application/json"]?.schema;
    if (!schema) return undefined;
    const body = await response.json();
    const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"openapi#/components')));
    assert.ok(validate(body), `${method} ${pathname} ${response.status} breaks /openapi.json: ${ajv.errorsText(validate.errors)}`);
    return body;
  };
}
