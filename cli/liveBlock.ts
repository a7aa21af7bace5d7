// Text that refreshes in place on a terminal (`--watch`): each new block replaces the last one.
// Off a terminal every changed block is printed after the one before, so a log keeps them all.

export class LiveBlock {
  private shownRows = 0;
  private last = "";

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {}

  show(text: string): void {
    if (text === this.last) return;
    if (this.stream.isTTY && this.shownRows > 0) {
      // Back to the first row of the last block, then clear from there down.
      this.stream.write(`\x1b[${this.shownRows}F\x1b[J`);
    }
    this.stream.write(text);
    this.last = text;
    this.shownRows = this.rowsOf(text);
  }

  /** Rows the text took on screen, long lines wrapping at the terminal's width. */
  private rowsOf(text: string): number {
    const width = this.stream.columns || 80;
    return text
      .replace(/\n$/, "")
      .split("\n")
      .reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / width)), 0);
  }
}
