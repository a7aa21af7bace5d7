import type { Cell } from "./table.js";

/** What one benchmark section hands back to bench/run.ts: its tables, notes and raw figures. */
export interface SectionTable {
  title: string;
  headers: string[];
  rows: Cell[][];
}

export interface SectionResult {
  section: string;
  /** Whether the section met its stated target; undefined when it has none. */
  targetMet?: boolean;
  tables: SectionTable[];
  /** Plain sentences printed under the tables: what was scaled down, extrapolated, why. */
  notes: string[];
  /** Everything measured, for the JSON files. */
  data: unknown;
}
