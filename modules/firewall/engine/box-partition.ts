/**
 * Splitting the union of many boxes (one interval per dimension: addresses, ports) into disjoint
 * boxes, each labelled with the boxes that cover it. A folded run of firewall rules becomes one
 * nft set or map of concatenations with intervals, and the kernel refuses elements of such a set
 * that overlap (`File exists`), while rules of a run overlap all the time (shared ports, one CIDR
 * inside another). Adjacent pieces with the same label are joined, so the result stays small.
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

interface Node {
  readonly lo: bigint;
  hi: bigint;
  readonly key: string;
  readonly ords?: readonly number[];
  readonly sub?: readonly Node[];
}

const byBigint = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `label` says which covering sets count as equal (e.g. "accept" for all of them, or only the
 * first position): cells with equal labels next to each other become one.
 */
function split(items: readonly LabelledBox[], d: number, label: (ords: readonly number[]) => string): Node[] {
  const dims = items[0]?.box.length ?? 0;
  const points: bigint[] = [];
  for (const it of items) {
    const [low, high] = it.box[d] as Interval;
    points.push(low, high + 1n);
  }
  points.sort(byBigint);
  const byLow = [...items].sort((a, b) => byBigint((a.box[d] as Interval)[0], (b.box[d] as Interval)[0]));
  const out: Node[] = [];
  let active: LabelledBox[] = [];
  let next = 0;
  for (let k = 0; k + 1 < points.length; k++) {
    const lo = points[k] as bigint;
    // Repeated points (the list is sorted, not deduplicated) make empty segments: skip them.
    if (points[k + 1] === lo) continue;
    const hi = (points[k + 1] as bigint) - 1n;
    if (active.some((it) => (it.box[d] as Interval)[1] < lo))
      active = active.filter((it) => (it.box[d] as Interval)[1] >= lo);
    while (next < byLow.length && ((byLow[next] as LabelledBox).box[d] as Interval)[0] <= lo)
      active.push(byLow[next++] as LabelledBox);
    if (active.length === 0) continue;
    let node: Node;
    if (d === dims - 1) {
      const ords = [...new Set(active.map((it) => it.ord))].sort((a, b) => a - b);
      node = { lo, hi, key: label(ords), ords };
    } else {
      const sub = split(active, d + 1, label);
      if (sub.length === 0) continue;
      node = { lo, hi, key: sub.map((n) => `${n.lo}-${n.hi}:${n.key}`).join(';'), sub };
    }
    const last = out[out.length - 1];
    if (last && last.hi + 1n === lo && last.key === node.key) last.hi = hi;
    else out.push(node);
  }
  return out;
}

function flatten(nodes: readonly Node[], prefix: readonly Interval[], out: Cell[]): void {
  for (const n of nodes) {
    const box = [...prefix, [n.lo, n.hi] as const];
    if (n.sub) flatten(n.sub, box, out);
    else out.push({ box, ords: n.ords ?? [] });
  }
}

/** Disjoint cells covering exactly the union of `boxes` (all with the same number of dimensions). */
export function partition(boxes: readonly LabelledBox[], label: (ords: readonly number[]) => string): Cell[] {
  if (boxes.length === 0) return [];
  const out: Cell[] = [];
  flatten(split(boxes, 0, label), [], out);
  return out;
}
