/**
 * Splitting the union of many boxes (one interval per dimension: addresses, ports) into disjoint
 * boxes, each labelled with the boxes that cover them. A folded run of firewall rules becomes one
 * nft set or map of concatenations with intervals, and the kernel refuses elements of such a set
 * that overlap (`File exists`), while rules of a run overlap all the time (shared ports, one CIDR
 * inside another). Adjacent pieces with the same label are joined, so the result stays small.
 *
 * The sweep works on the ranks of the boxes' bounds, not on the bounds themselves: addresses are
 * bigints (IPv6 needs 128 bits), and comparing and allocating bigints in the inner loop made this
 * most of the compile time of 10,000 rules. Labels of pieces are interned as small numbers, so a
 * piece's key names its children's ranks and label ids instead of repeating their whole keys.
 */

/** Inclusive bounds. */
export type Interval = readonly [bigint, bigint];

export interface LabelledBox {
  readonly box: readonly Interval[];
  /** Position of the rule in its run; lower decides first. */
  readonly ord: number;
}

export interface Cell {
  readonly box: readonly Interval[];
  /**
   * The positions of the boxes covering this cell, ascending, without repeats; for a cell joined
   * from neighbours with equal labels, those of its first piece (only the label is shared).
   */
  readonly ords: readonly number[];
}

/** A box in rank space: in dimension d it covers ranks [lows[d], ends[d]). */
interface RankedBox {
  readonly lows: readonly number[];
  readonly ends: readonly number[];
  readonly ord: number;
}

interface Node {
  /** First rank covered. */
  readonly lo: number;
  /** First rank after the node. */
  end: number;
  /** Interned key: equal keys mean equal labels over equal sub-pieces. */
  readonly key: number;
  readonly ords?: readonly number[];
  readonly sub?: readonly Node[];
}

const byBigint = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

class Interner {
  readonly #ids = new Map<string, number>();
  id(text: string): number {
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(text, id);
    }
    return id;
  }
}

/** Ascending distinct ords of the active boxes. */
function ordsOf(active: readonly RankedBox[]): number[] {
  const ords = active.map((it) => it.ord);
  if (ords.length < 2) return ords;
  ords.sort((a, b) => a - b);
  let n = 1;
  for (let i = 1; i < ords.length; i++) if (ords[i] !== ords[n - 1]) ords[n++] = ords[i] as number;
  ords.length = n;
  return ords;
}

function split(
  items: readonly RankedBox[],
  d: number,
  dims: number,
  label: (ords: readonly number[]) => string,
  keys: Interner,
): Node[] {
  const points = new Int32Array(items.length * 2);
  for (let i = 0; i < items.length; i++) {
    const it = items[i] as RankedBox;
    points[2 * i] = it.lows[d] as number;
    points[2 * i + 1] = it.ends[d] as number;
  }
  points.sort();
  const byLow = items.slice().sort(lowerIn(d));
  const out: Node[] = [];
  let active: RankedBox[] = [];
  let next = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const lo = points[k] as number;
    const end = points[k + 1] as number;
    // Repeated points (the list is sorted, not deduplicated) make empty segments: skip them.
    if (end === lo) continue;
    active = stillActive(active, d, lo);
    while (next < byLow.length && ((byLow[next] as RankedBox).lows[d] as number) <= lo)
      active.push(byLow[next++] as RankedBox);
    if (active.length === 0) continue;
    let node: Node;
    if (d === dims - 1) {
      const ords = ordsOf(active);
      node = { lo, end, key: keys.id(`L${label(ords)}`), ords };
    } else {
      const sub = split(active, d + 1, dims, label, keys);
      if (sub.length === 0) continue;
      let text = '';
      for (const n of sub) text += `${n.lo}-${n.end}:${n.key};`;
      node = { lo, end, key: keys.id(text), sub };
    }
    const last = out[out.length - 1];
    if (last && last.end === lo && last.key === node.key) last.end = end;
    else out.push(node);
  }
  return out;
}

/** Comparators by dimension, made once: this runs for every segment of every dimension. */
const comparators: ((a: RankedBox, b: RankedBox) => number)[] = [];
function lowerIn(d: number): (a: RankedBox, b: RankedBox) => number {
  let compare = comparators[d];
  if (!compare) {
    compare = (a, b) => (a.lows[d] as number) - (b.lows[d] as number);
    comparators[d] = compare;
  }
  return compare;
}

/** The boxes still covering rank `lo` in dimension d (the same array when all do). */
function stillActive(active: RankedBox[], d: number, lo: number): RankedBox[] {
  let keep = 0;
  for (const it of active) if ((it.ends[d] as number) > lo) keep++;
  if (keep === active.length) return active;
  const out: RankedBox[] = [];
  for (const it of active) if ((it.ends[d] as number) > lo) out.push(it);
  return out;
}

function flatten(
  nodes: readonly Node[],
  ranks: readonly (readonly bigint[])[],
  prefix: readonly Interval[],
  out: Cell[],
): void {
  const d = prefix.length;
  const values = ranks[d] as readonly bigint[];
  for (const n of nodes) {
    const box = [...prefix, [values[n.lo] as bigint, (values[n.end] as bigint) - 1n] as const];
    if (n.sub) flatten(n.sub, ranks, box, out);
    else out.push({ box, ords: n.ords ?? [] });
  }
}

/** Every low and high + 1 of dimension d, distinct, ascending. */
function distinctBounds(boxes: readonly LabelledBox[], d: number): bigint[] {
  const seen = new Set<bigint>();
  let small = true;
  for (const b of boxes) {
    const [low, high] = b.box[d] as Interval;
    seen.add(low);
    seen.add(high + 1n);
    if (high >= MAX_EXACT) small = false;
  }
  const values = [...seen];
  // Ports and IPv4 addresses are exact as doubles, which sort many times faster than bigints.
  if (small) return Array.from(new Float64Array(values.map(Number)).sort(), BigInt);
  return values.sort(byBigint);
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Disjoint cells covering exactly the union of `boxes` (all with the same number of dimensions). */
export function partition(boxes: readonly LabelledBox[], label: (ords: readonly number[]) => string): Cell[] {
  if (boxes.length === 0) return [];
  const dims = (boxes[0] as LabelledBox).box.length;
  // Per dimension, every distinct bound (low, and high + 1) in order; a bound's rank is its index.
  const ranks: bigint[][] = [];
  const rankOf: Map<bigint, number>[] = [];
  for (let d = 0; d < dims; d++) {
    const sorted = distinctBounds(boxes, d);
    ranks.push(sorted);
    const index = new Map<bigint, number>();
    for (let i = 0; i < sorted.length; i++) index.set(sorted[i] as bigint, i);
    rankOf.push(index);
  }
  const ranked: RankedBox[] = boxes.map((b) => {
    const lows: number[] = [];
    const ends: number[] = [];
    for (let d = 0; d < dims; d++) {
      const [low, high] = b.box[d] as Interval;
      lows.push(rankOf[d]?.get(low) as number);
      ends.push(rankOf[d]?.get(high + 1n) as number);
    }
    return { lows, ends, ord: b.ord };
  });
  const out: Cell[] = [];
  flatten(split(ranked, 0, dims, label, new Interner()), ranks, [], out);
  return out;
}
