import type { BatchKind } from "./batchKind.js";

/** The batch kinds an app serves, by name (BatchRecord.kind). Built in src/kinds/registry.ts. */
export interface KindRegistry {
  get(name: string): BatchKind | undefined;
  /** The kind, or an error naming it (a batch whose kind this deployment no longer serves). */
  require(name: string): BatchKind;
  names(): string[];
}

export function kindRegistry(kinds: readonly BatchKind[]): KindRegistry {
  const byName = new Map<string, BatchKind>();
  for (const kind of kinds) {
    if (byName.has(kind.name)) throw new Error(`Two batch kinds are named '${kind.name}'`);
    byName.set(kind.name, kind);
  }
  return {
    get: (name) => byName.get(name),
    require(name) {
      const kind = byName.get(name);
      if (!kind) throw new Error(`No batch kind '${name}' is registered in this deployment`);
      return kind;
    },
    names: () => [...byName.keys()],
  };
}
