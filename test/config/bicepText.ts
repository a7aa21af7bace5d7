// A small structural reader for Bicep text, enough to check infra/ without the Bicep compiler:
// balanced brackets (strings, interpolation and comments understood), declarations, the keys of
// object blocks, and module references. It is no parser: it only sees what the checks need.

export interface MaskedBicep {
  /** Comments and string contents blanked (quotes kept), same length and line breaks as the source. */
  masked: string;
  /** Only comments blanked: string literals intact. */
  uncommented: string;
  /** Unbalanced brackets, unterminated strings or comments, with line numbers. */
  errors: string[];
}

const closerOf: Record<string, string> = { "{": "}", "[": "]", "(": ")" };

export function maskBicep(text: string): MaskedBicep {
  const masked = text.split("");
  const uncommented = text.split("");
  const errors: string[] = [];
  // Open brackets, and "I" for a string interpolation `${ ... }` that returns into its string.
  const stack: { char: string; line: number }[] = [];
  let inString = false;
  let stringStart = 0;
  let i = 0;
  const lineAt = (index: number) => text.slice(0, index).split("\n").length;
  const blank = (target: string[], from: number, to: number) => {
    for (let k = from; k < to && k < target.length; k++) if (target[k] !== "\n") target[k] = " ";
  };

  while (i < text.length) {
    const c = text[i];
    if (inString) {
      if (c === "\\") {
        blank(masked, i, i + 2);
        i += 2;
      } else if (c === "$" && text[i + 1] === "{") {
        blank(masked, i, i + 2);
        stack.push({ char: "I", line: lineAt(i) });
        inString = false;
        i += 2;
      } else if (c === "'") {
        inString = false;
        i++;
      } else {
        if (c === "\n") errors.push(`line ${lineAt(i)}: line break inside a '...' string (opened on line ${lineAt(stringStart)})`);
        blank(masked, i, i + 1);
        i++;
      }
      continue;
    }
    if (text.startsWith("//", i)) {
      const end = text.indexOf("\n", i);
      const to = end < 0 ? text.length : end;
      blank(masked, i, to);
      blank(uncommented, i, to);
      i = to;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) errors.push(`line ${lineAt(i)}: unterminated /* comment`);
      const to = end < 0 ? text.length : end + 2;
      blank(masked, i, to);
      blank(uncommented, i, to);
      i = to;
    } else if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      if (end < 0) errors.push(`line ${lineAt(i)}: unterminated ''' string`);
      const to = end < 0 ? text.length : end;
      blank(masked, i + 3, to);
      i = to + 3;
    } else if (c === "'") {
      inString = true;
      stringStart = i;
      i++;
    } else if (c === "{" || c === "[" || c === "(") {
      stack.push({ char: c, line: lineAt(i) });
      i++;
    } else if (c === "}" || c === "]" || c === ")") {
      const open = stack.pop();
      if (!open) {
        errors.push(`line ${lineAt(i)}: '${c}' closes nothing`);
      } else if (open.char === "I") {
        if (c !== "}") errors.push(`line ${lineAt(i)}: '${c}' inside the interpolation opened on line ${open.line}`);
        blank(masked, i, i + 1);
        inString = true;
      } else if (closerOf[open.char] !== c) {
        errors.push(`line ${lineAt(i)}: '${c}' closes '${open.char}' from line ${open.line}`);
      }
      i++;
    } else {
      i++;
    }
  }
  if (inString) errors.push(`line ${lineAt(stringStart)}: unterminated string`);
  for (const open of stack) errors.push(`line ${open.line}: '${open.char === "I" ? "${" : open.char}' is never closed`);
  return { masked: masked.join(""), uncommented: uncommented.join(""), errors };
}

/** Index just past the bracket matching the one at `open` (in masked text), or -1. */
export function matchingClose(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    const c = masked[i];
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Keys written at the top level of the object whose `{` is at `open`. */
export function topLevelKeys(source: MaskedBicep, open: number): Map<string, number> {
  const { masked, uncommented } = source;
  const end = matchingClose(masked, open);
  const keys = new Map<string, number>();
  let depth = 0;
  for (let i = open + 1; i < end - 1; i++) {
    const c = masked[i];
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") depth--;
    else if (c === "\n" && depth === 0) {
      const key = /^[ \t]*(?:'([^'\n]+)'|([A-Za-z_][A-Za-z0-9_]*))[ \t]*:/.exec(uncommented.slice(i + 1, i + 200));
      if (key) keys.set(key[1] ?? key[2]!, i + 1);
    }
  }
  return keys;
}

export interface ParamDeclaration {
  name: string;
  /** No default value and not nullable. */
  required: boolean;
  /** azd generates the value (metadata `azd: { type: 'generate' }`). */
  azdGenerated: boolean;
}

export function paramDeclarations(source: MaskedBicep): ParamDeclaration[] {
  const result: ParamDeclaration[] = [];
  const pattern = /^param[ \t]+([A-Za-z_]\w*)[ \t]+([^\n]*)$/gm;
  let previousEnd = 0;
  for (let match = pattern.exec(source.masked); match; match = pattern.exec(source.masked)) {
    const rest = match[2]!.trim();
    const decorators = source.uncommented.slice(previousEnd, match.index);
    result.push({
      name: match[1]!,
      required: !rest.includes("=") && !rest.endsWith("?"),
      azdGenerated: /type:\s*'generate'/.test(decorators),
    });
    previousEnd = match.index + match[0].length;
  }
  return result;
}

export function outputNames(source: MaskedBicep): string[] {
  return [...source.masked.matchAll(/^output[ \t]+([A-Za-z_]\w*)[ \t]/gm)].map((m) => m[1]!);
}

export interface ModuleReference {
  symbol: string;
  path: string;
  line: number;
  /** Keys passed in `params: { ... }`. */
  params: string[];
}

export function moduleReferences(source: MaskedBicep): ModuleReference[] {
  const { masked, uncommented } = source;
  const result: ModuleReference[] = [];
  for (const match of uncommented.matchAll(/^module[ \t]+([A-Za-z_]\w*)[ \t]+'([^']+)'[ \t]*=/gm)) {
    if (masked.slice(match.index, match.index + 6) !== "module") continue; // inside a comment or string
    const bodyOpen = masked.indexOf("{", match.index + match[0].length);
    const body = topLevelKeys(source, bodyOpen);
    const paramsAt = body.get("params");
    const params = paramsAt === undefined ? [] : [...topLevelKeys(source, masked.indexOf("{", paramsAt)).keys()];
    result.push({ symbol: match[1]!, path: match[2]!, line: uncommented.slice(0, match.index).split("\n").length, params });
  }
  return result;
}

/** `symbol.outputs.name` (also `symbol!.outputs.name`, `symbol[0].outputs.name`) uses. */
export function outputUses(source: MaskedBicep): { symbol: string; output: string }[] {
  return [...source.uncommented.matchAll(/\b([A-Za-z_]\w*)(?:\[[^\]]*\])?!?\.outputs\.([A-Za-z_]\w*)/g)].map((m) => ({
    symbol: m[1]!,
    output: m[2]!,
  }));
}
