/** A run of a batch's documents, by index: what a sub-orchestration is given instead of a document list. */
export interface DocumentSpan {
  first: number;
  count: number;
}

/**
 * Most sub-orchestrations one orchestration fans out to. With leaves of 100 documents, two levels
 * hold 10,000 documents, three hold 1,000,000: every history stays short at any batch size.
 */
export const MAX_CHILDREN = 100;

/**
 * The sub-ranges a range fans out to, or undefined for a leaf (at most `perLeaf` documents,
 * analyzed by one activity each). Children are as large as needed for at most MAX_CHILDREN of them.
 */
export function splitRange(range: DocumentSpan, perLeaf: number, maxChildren = MAX_CHILDREN): DocumentSpan[] | undefined {
  if (range.count <= perLeaf) return undefined;
  let span = perLeaf;
  while (Math.ceil(range.count / span) > maxChildren) span *= maxChildren;
  const children: DocumentSpan[] = [];
  for (let first = range.first; first < range.first + range.count; first += span) {
    children.push({ first, count: Math.min(span, range.first + range.count - first) });
  }
  return children;
}

/** Every range of the tree under (and including) `root`, parents first. */
export function* allRanges(root: DocumentSpan, perLeaf: number): Iterable<DocumentSpan> {
  yield root;
  for (const child of splitRange(root, perLeaf) ?? []) yield* allRanges(child, perLeaf);
}
