/**
 * Checks a caller-given blob path (prefix, result prefix, file-list path, file-list entry)
 * before it is put into any storage URL. A `.` or `..` segment would be resolved by URL
 * parsing (the SDK's and the service's) and leave the named container, so it is refused in
 * every spelling that could become one: plain, percent-encoded (`%2e%2e`, `%252e`), and with
 * backslashes, which URL parsers and the Blob service may take for `/`. Control characters
 * cannot be part of a blob name.
 */

/** Why the path may not be used, or undefined when it may. */
export function blobPathProblem(path: string): string | undefined {
  // Control characters are what this refuses.
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f]/.exec(path);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `contains the control character U+${code} at position ${control.index}; blob names cannot hold control characters, remove it`;
  }
  const segments = decodeSeparatorsAndDots(path).split(/[/\\]/);
  const dots = segments.find((segment) => segment === "." || segment === "..");
  if (dots !== undefined) {
    return `has a '${dots}' path segment (also refused percent-encoded or between backslashes); name the blob by its path from the container's root, without '.' or '..'`;
  }
  return undefined;
}

/** Percent-decodes only dots and separators, as often as they are encoded (`%252e` -> `%2e` -> `.`). */
function decodeSeparatorsAndDots(path: string): string {
  let previous: string;
  let decoded = path;
  do {
    previous = decoded;
    decoded = decoded.replace(/%25/gi, "%").replace(/%2e/gi, ".").replace(/%2f/gi, "/").replace(/%5c/gi, "\\");
  } while (decoded !== previous);
  return decoded;
}
