/**
 * A batch's results as CSV, one row per document in upload order: `index`, `error`, then one
 * column per top-level field of the results (nested values as JSON). OCR-only results (Markdown
 * text) go in a `text` column. With `fileNames` (the CLI knows them), a `file` column follows `index`.
 */
export function resultsCsv(results: readonly unknown[], options: { fileNames?: readonly string[] } = {}): string {
  const rows = results.map((result, index): Record<string, string> => ({ ...(options.fileNames ? { file: options.fileNames[index] ?? "" } : {}), ...rowOf(result, index) }));
  const columns = options.fileNames ? ["index", "file", "error"] : ["index", "error"];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const lines = [columns.map(csvCell).join(",")];
  for (const row of rows) lines.push(columns.map((column) => csvCell(row[column] ?? "")).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function rowOf(result: unknown, index: number): Record<string, string> {
  const row: Record<string, string> = { index: String(index) };
  if (typeof result === "string") {
    if (result.startsWith("Error: ")) row.error = result.slice("Error: ".length);
    else row.text = result;
  } else if (result !== null && typeof result === "object" && !Array.isArray(result)) {
    for (const [key, value] of Object.entries(result)) row[key] = typeof value === "string" ? value : JSON.stringify(value);
  } else if (result !== null) {
    row.value = JSON.stringify(result);
  }
  return row;
}

/** What spreadsheets read as the start of a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string): string {
  // Quoting does not stop a spreadsheet from running `=HYPERLINK(...)`: a leading `'` makes it text.
  const inert = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}
