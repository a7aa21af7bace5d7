/**
 * ASP.NET Core route templates as the Functions host uses them for HTTP triggers:
 * literals (case-insensitive), `{name}`, optional `{name?}`, inline constraints such as
 * `{id:int}` or `{code:regex(^[a-z]+$)}`, and a final catch-all `{*path}`.
 */
export interface CompiledRoute {
  template: string;
  /** Ordering key: lower sorts first, like ASP.NET's route precedence. */
  precedence: number[];
  match(path: string): Record<string, string> | undefined;
}

interface Parameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  constraints: string[];
}

const constraintChecks: Record<string, (value: string, arg?: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v) && Math.abs(Number(v)) <= 2 ** 31,
  long: (v) => /^-?\d+$/.test(v),
  bool: (v) => /^(true|false)$/i.test(v),
  guid: (v) => /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[)}]?$/i.test(v),
  alpha: (v) => /^[a-z]+$/i.test(v),
  decimal: (v) => /^-?\d+(\.\d+)?$/.test(v),
  double: (v) => !Number.isNaN(Number(v)) && v.trim() !== "",
  float: (v) => !Number.isNaN(Number(v)) && v.trim() !== "",
  datetime: (v) => !Number.isNaN(Date.parse(v)),
  minlength: (v, a) => v.length >= Number(a),
  maxlength: (v, a) => v.length <= Number(a),
  length: (v, a) => {
    const [min, max] = (a ?? "").split(",").map(Number);
    return max === undefined ? v.length === min : v.length >= min && v.length <= max;
  },
  min: (v, a) => /^-?\d+$/.test(v) && Number(v) >= Number(a),
  max: (v, a) => /^-?\d+$/.test(v) && Number(v) <= Number(a),
  range: (v, a) => {
    const [min, max] = (a ?? "").split(",").map(Number);
    return /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= max;
  },
  regex: (v, a) => new RegExp(a ?? "", "i").test(v),
  required: (v) => v.length > 0,
};

function checkConstraint(constraint: string, value: string): boolean {
  const open = constraint.indexOf("(");
  const name = (open >= 0 ? constraint.slice(0, open) : constraint).toLowerCase();
  const arg = open >= 0 ? constraint.slice(open + 1, constraint.lastIndexOf(")")) : undefined;
  const check = constraintChecks[name];
  if (!check) throw new Error(`Unsupported route constraint "${constraint}"`);
  return check(value, arg);
}

/** Splits `{name:c1:c2(arg)?}` into its parts; colons inside parentheses belong to the argument. */
function parseParameter(body: string): Parameter {
  let catchAll = false;
  if (body.startsWith("*")) {
    catchAll = true;
    body = body.slice(body.startsWith("**") ? 2 : 1);
  }
  let optional = false;
  if (body.endsWith("?")) {
    optional = true;
    body = body.slice(0, -1);
  }
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of body) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === ":" && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  const [name, ...rest] = parts;
  // Inside templates braces are escaped by doubling, also in regex constraints.
  const constraints = rest.map((c) => c.replaceAll("{{", "{").replaceAll("}}", "}"));
  const eq = name.indexOf("=");
  return { name: eq >= 0 ? name.slice(0, eq) : name, optional: optional || eq >= 0, catchAll, constraints };
}

/** Splits a segment into literal text and `{...}` parameters (`{{` and `}}` escape braces). */
function tokenize(segment: string): (string | Parameter)[] {
  const tokens: (string | Parameter)[] = [];
  let literal = "";
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if ((ch === "{" || ch === "}") && segment[i + 1] === ch) {
      literal += ch;
      i++;
    } else if (ch === "{") {
      let depth = 0;
      let j = i + 1;
      for (; j < segment.length; j++) {
        if (segment[j] === "(") depth++;
        if (segment[j] === ")") depth--;
        if (segment[j] === "}" && depth === 0) break;
      }
      if (literal) {
        tokens.push(literal);
        literal = "";
      }
      tokens.push(parseParameter(segment.slice(i + 1, j)));
      i = j;
    } else literal += ch;
  }
  if (literal) tokens.push(literal);
  return tokens;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function compileRoute(template: string): CompiledRoute {
  const segments = template.replace(/^\/+|\/+$/g, "").split("/").filter((s, i, all) => s !== "" || all.length === 1);
  const params: Parameter[] = [];
  const precedence: number[] = [];
  let pattern = "^";
  for (const segment of segments) {
    if (segment === "") continue;
    const tokens = tokenize(segment);
    const only = tokens.length === 1 ? tokens[0] : undefined;
    if (only !== undefined && typeof only !== "string") {
      params.push(only);
      if (only.catchAll) {
        pattern += "(?:/(.*))?";
        precedence.push(5);
      } else if (only.optional) {
        pattern += "(?:/([^/]+))?";
        precedence.push(4);
      } else {
        pattern += "/([^/]+)";
        precedence.push(only.constraints.length ? 2 : 3);
      }
      continue;
    }
    // A literal segment, or a complex one mixing literals and parameters like `{id}:analyze`.
    pattern += "/";
    for (const token of tokens) {
      if (typeof token === "string") pattern += escapeRegex(token);
      else {
        params.push(token);
        pattern += token.optional ? "([^/]*?)" : "([^/]+?)";
      }
    }
    precedence.push(tokens.every((t) => typeof t === "string") ? 0 : 1);
  }
  pattern += "/?$";
  const regex = new RegExp(pattern, "i");
  return {
    template,
    precedence,
    match(path) {
      const m = regex.exec(path === "" ? "/" : path);
      if (!m) return undefined;
      const values: Record<string, string> = {};
      for (let i = 0; i < params.length; i++) {
        const raw = m[i + 1];
        const p = params[i];
        if (raw === undefined || raw === "") {
          if (!p.optional && !p.catchAll) return undefined;
          continue;
        }
        const value = p.catchAll ? raw : safeDecode(raw);
        if (!p.constraints.every((c) => checkConstraint(c, value))) return undefined;
        values[p.name] = value;
      }
      return values;
    },
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Negative when `a` should be tried before `b`. */
export function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const pa = a.precedence[i] ?? -1;
    const pb = b.precedence[i] ?? -1;
    if (pa !== pb) return pa - pb;
  }
  return 0;
}
