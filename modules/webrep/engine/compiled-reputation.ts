import { type ImportedEntry, parseReputationFeed } from './list-importers.js';
import { TargetIndex } from './target-index.js';

/**
 * Risk 0–100 plus one (0: not given) + 256 × (category number plus one; 0: none). Arithmetic
 * rather than shifts, so that no count of categories can overflow into the sign bit.
 */
type PackedRating = number;
const RISK_SPAN = 256;

/**
 * Reputation data (the update package's content) compiled for lookup, once per package and
 * reused across configurations. A rating is one small integer per entry rather than an object
 * with a category string: with a million entries a decision is bound by cache misses, and
 * reading a rating then costs one load from a packed array instead of two objects scattered
 * over the heap (the rating, then its category string to hash it).
 */
export class CompiledReputation {
  readonly version: number;
  readonly index: TargetIndex<PackedRating>;
  /** Category names (lower case) by number. */
  readonly categories: readonly string[];

  constructor(version: number, index: TargetIndex<PackedRating>, categories: readonly string[]) {
    this.version = version;
    this.index = index;
    this.categories = categories;
  }

  /** Risk of entry `entry`, or undefined when the data gives none. */
  riskOf(entry: number): number | undefined {
    const risk = (this.index.recordAt(entry) % RISK_SPAN) - 1;
    return risk < 0 ? undefined : risk;
  }

  /** Category number of entry `entry`, or -1 when the data gives none. */
  categoryNumberOf(entry: number): number {
    return Math.floor(this.index.recordAt(entry) / RISK_SPAN) - 1;
  }

  /** One flag per category number: set for the names in `names` (lower case). */
  categoryFlags(names: ReadonlySet<string>): Uint8Array {
    return Uint8Array.from(this.categories, (name) => (names.has(name) ? 1 : 0));
  }
}

/** Compiles reputation data; entries the importer refuses are counted and the first named. */
export function compileReputation(
  version: number,
  text: string,
): { data: CompiledReputation; errors: number; firstErrors: string[] } {
  const parsed = parseReputationFeed(text);
  const index = new TargetIndex<PackedRating>(parsed.entries.length);
  const numbers = new Map<string, number>();
  for (const e of parsed.entries) index.add(e.pattern, pack(e, numbers));
  return {
    data: new CompiledReputation(version, index, [...numbers.keys()]),
    errors: parsed.errorCount,
    firstErrors: parsed.errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`),
  };
}

function pack(e: ImportedEntry, categoryNumbers: Map<string, number>): PackedRating {
  let category = 0;
  if (e.category !== undefined) {
    let n = categoryNumbers.get(e.category);
    if (n === undefined) {
      n = categoryNumbers.size;
      categoryNumbers.set(e.category, n);
    }
    category = n + 1;
  }
  return category * RISK_SPAN + (e.risk === undefined ? 0 : e.risk + 1);
}
