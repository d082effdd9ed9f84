import { addressBounds, addressFromNumber, type Family, parseAddressTerm, parsePortTerm } from './address.js';
import { type Interval, type LabelledBox, partition } from './box-partition.js';
import type { OrderedRule } from './rule-order.js';
import type { FirewallLists, FirewallRule } from './rule-schema.js';

/**
 * Folding long runs of rules into one nft rule that looks up a set (allow) or a map (deny,
 * log-only) of concatenations with intervals, e.g. `ip saddr . tcp dport @f3 accept` with
 * elements `10.0.0.0/8 . 80-90`. A rule is foldable when it matches only addresses (one family) and
 * ports of tcp or udp, without negation; then it is a few boxes in (address, port) space. Plain
 * nft rules cost the kernel about 70 µs each to load, set elements about a quarter of that, and
 * one rule of many values would otherwise expand into up to 8 plain rules.
 *
 * Only adjacent rules (in evaluation order) of one direction and one kind of decision are folded,
 * so the result decides every packet as the rules one by one would: a run of accepts accepts what
 * any of them matches (their order does not matter); a run of denies is one map per same-shape
 * stretch whose every point names the first deny rule covering it; log-only rules each log what
 * they match, so a point covered by k of them is in k layered maps.
 */

/** Tag in the top byte of the packet mark that says which folded deny rule matched. */
export const MARK_TAG = 0x62000000;
/** The same for a folded log-only rule; its log rule clears the mark again. */
export const LOG_MARK_TAG = 0x63000000;
export const MARK_TAG_MASK = 0xff000000;
export const MARK_INDEX_MASK = 0x00ffffff;
/** Shortest run worth folding; shorter runs stay one nft rule (or a few) per firewall rule. */
export const MIN_MERGED_RUN = 8;
/** Most boxes (value combinations) one rule may contribute; beyond that it is not folded. */
export const MAX_BOXES_PER_RULE = 64;

type Decision = 'accept' | 'deny' | 'log';
type FieldType = 'ipv4_addr' | 'ipv6_addr' | 'inet_service';

export interface FoldKey {
  /** Rules of one shape share the nft selector and set type. */
  readonly shape: string;
  /** `ip saddr . tcp dport`, with `meta l4proto tcp` before it when no port is matched. */
  readonly selector: string;
  readonly types: readonly FieldType[];
  readonly boxes: readonly (readonly Interval[])[];
}

const decisionOf = (rule: FirewallRule): Decision =>
  rule.action === 'deny' ? 'deny' : rule.action === 'log-only' ? 'log' : 'accept';

interface ParsedAddress {
  readonly family: Family;
  readonly bounds: Interval;
}

/**
 * Parsed terms by their text: thousands of rules repeat the same few values, and parsing is most
 * of the cost of folding. Bounded, and only ever holds pure results.
 *
 * The functions from here to `foldKey` run once per rule and per value (tens of thousands of times
 * for a large policy): they create no closures, since every closure created costs more than the
 * work it does here (tsx, which runs the agent, also names each one as it is made).
 */
const addressCache = new Map<string, ParsedAddress | null>();
const portCache = new Map<string | number, Interval | null>();
const CACHE_LIMIT = 200_000;

function parsedAddress(text: string): ParsedAddress | null {
  let value = addressCache.get(text);
  if (value === undefined) {
    if (addressCache.size >= CACHE_LIMIT) addressCache.clear();
    const r = parseAddressTerm(text);
    value = r.ok ? { family: r.value.family, bounds: addressBounds(r.value) } : null;
    addressCache.set(text, value);
  }
  return value;
}

function parsedPort(term: string | number): Interval | null {
  let value = portCache.get(term);
  if (value === undefined) {
    if (portCache.size >= CACHE_LIMIT) portCache.clear();
    const r = parsePortTerm(term);
    if (r.ok) {
      const [low = '0', high = low] = r.value.split('-');
      value = [BigInt(low), BigInt(high)] as const;
    } else value = null;
    portCache.set(term, value);
  }
  return value;
}

/** Appends `parse` of each term; false when one does not parse. `parse` is a module function. */
function appendParsed<T, V>(terms: readonly T[] | undefined, parse: (term: T) => V | null, out: V[]): boolean {
  if (!terms) return true;
  for (const term of terms) {
    const parsed = parse(term);
    if (parsed === null) return false;
    out.push(parsed);
  }
  return true;
}

/** The first list with this id (ids are unique: the manager refuses duplicates). */
function listById<L extends { readonly id: string }>(lists: readonly L[], id: string): L | undefined {
  for (const list of lists) if (list.id === id) return list;
  return undefined;
}

function addressTerms(match: FirewallRule['source'], lists: FirewallLists): ParsedAddress[] | undefined {
  const out: ParsedAddress[] = [];
  if (!appendParsed(match?.addresses, parsedAddress, out)) return undefined;
  for (const id of match?.ipLists ?? [])
    if (!appendParsed(listById(lists.ipLists, id)?.addresses, parsedAddress, out)) return undefined;
  return out;
}

function portIntervals(match: FirewallRule['sourcePorts'], lists: FirewallLists): Interval[] | undefined {
  const out: Interval[] = [];
  if (!appendParsed(match?.ports, parsedPort, out)) return undefined;
  for (const id of match?.portLists ?? [])
    if (!appendParsed(listById(lists.portLists, id)?.ports, parsedPort, out)) return undefined;
  return out.length > 0 ? out : undefined;
}

const hasFamily = (list: readonly ParsedAddress[] | null, family: Family): boolean => {
  if (!list) return true;
  for (const a of list) if (a.family === family) return true;
  return false;
};

/** Whether the plain rules would match in `family`: each named side needs an address of it. */
const viable = (
  frame: string,
  source: readonly ParsedAddress[] | null,
  destination: readonly ParsedAddress[] | null,
  family: Family,
): boolean => (frame === 'any' || frame === family) && hasFamily(source, family) && hasFamily(destination, family);

function boundsOf(list: readonly ParsedAddress[], family: Family): Interval[] {
  const out: Interval[] = [];
  for (const a of list) if (a.family === family) out.push(a.bounds);
  return out;
}

/** Every combination of one value per dimension, in order. */
function combinations(values: readonly (readonly Interval[])[]): Interval[][] {
  let boxes: Interval[][] = [[]];
  for (const v of values) {
    const next: Interval[][] = [];
    for (const b of boxes)
      for (const x of v) {
        const box = b.slice();
        box.push(x);
        next.push(box);
      }
    boxes = next;
  }
  return boxes;
}

/** The boxes of a foldable rule, or undefined (the rule stays plain nft rules). */
export function foldKey(rule: FirewallRule, lists: FirewallLists): FoldKey | undefined {
  const { protocol } = rule;
  if (protocol !== 'tcp' && protocol !== 'udp') return undefined;
  // A deny in detect mode logs and lets the packet go on: neither a deny map nor a log-only layer.
  if (rule.mode === 'detect') return undefined;
  if (rule.sourceMac || rule.tcpFlags || rule.icmpTypes || rule.interface || rule.connectionStates || rule.fragments)
    return undefined;
  const frame = rule.frameType ?? 'any';
  if (frame !== 'any' && frame !== 'ipv4' && frame !== 'ipv6') return undefined;
  if (rule.source?.negate || rule.destination?.negate || rule.sourcePorts?.negate || rule.destinationPorts?.negate)
    return undefined;
  const keywords: string[] = [];
  const values: Interval[][] = [];
  const source = named(rule.source) ? addressTerms(rule.source, lists) : null;
  const destination = named(rule.destination) ? addressTerms(rule.destination, lists) : null;
  if (source === undefined || destination === undefined) return undefined;
  let family: Family | undefined;
  if (source || destination) {
    const v4 = viable(frame, source, destination, 'ipv4');
    if (v4 === viable(frame, source, destination, 'ipv6')) return undefined;
    family = v4 ? 'ipv4' : 'ipv6';
    const ipKeyword = family === 'ipv4' ? 'ip' : 'ip6';
    if (source) {
      keywords.push(`${ipKeyword} saddr`);
      values.push(boundsOf(source, family));
    }
    if (destination) {
      keywords.push(`${ipKeyword} daddr`);
      values.push(boundsOf(destination, family));
    }
  } else if (frame !== 'any') return undefined;
  if (rule.sourcePorts) {
    const ports = portIntervals(rule.sourcePorts, lists);
    if (!ports) return undefined;
    keywords.push(`${protocol} sport`);
    values.push(ports);
  }
  if (rule.destinationPorts) {
    const ports = portIntervals(rule.destinationPorts, lists);
    if (!ports) return undefined;
    keywords.push(`${protocol} dport`);
    values.push(ports);
  }
  if (values.length === 0) return undefined;
  let count = 1;
  for (const v of values) count *= v.length;
  if (count > MAX_BOXES_PER_RULE) return undefined;
  return { ...shapeOf(protocol, family, keywords), boxes: combinations(values) };
}

const named = (m: FirewallRule['source']) => (m?.addresses?.length ?? 0) + (m?.ipLists?.length ?? 0) > 0;

/** Shapes are few and shared by thousands of rules: made once each. */
const shapes = new Map<string, Omit<FoldKey, 'boxes'>>();

function shapeOf(protocol: 'tcp' | 'udp', family: Family | undefined, keywords: readonly string[]) {
  const joined = keywords.join(' . ');
  const shape = `${protocol}|${joined}`;
  let found = shapes.get(shape);
  if (!found) {
    const hasPort = keywords.some((k) => k.endsWith('port'));
    const addressType: FieldType = family === 'ipv6' ? 'ipv6_addr' : 'ipv4_addr';
    found = {
      shape,
      selector: hasPort ? joined : `meta l4proto ${protocol} ${joined}`,
      types: keywords.map((k) => (k.endsWith('port') ? 'inet_service' : addressType)),
    };
    shapes.set(shape, found);
  }
  return found;
}

export type RuleRun =
  | { readonly merged: false; readonly rule: OrderedRule }
  | {
      readonly merged: true;
      readonly decision: Decision;
      readonly rules: readonly OrderedRule[];
      readonly keys: readonly FoldKey[];
    };

/** Splits rules in evaluation order into plain rules and folded runs. */
export function groupRuns(ordered: readonly OrderedRule[], lists: FirewallLists): RuleRun[] {
  const keys = ordered.map((o) => foldKey(o.rule, lists));
  const out: RuleRun[] = [];
  const emit = (decision: Decision, members: readonly number[]) => {
    if (members.length >= MIN_MERGED_RUN)
      out.push({
        merged: true,
        decision,
        rules: members.map((m) => ordered[m] as OrderedRule),
        keys: members.map((m) => keys[m] as FoldKey),
      });
    else for (const m of members) out.push({ merged: false, rule: ordered[m] as OrderedRule });
  };
  let i = 0;
  while (i < ordered.length) {
    const decision = decisionOf((ordered[i] as OrderedRule).rule);
    let j = i;
    while (j < ordered.length && keys[j] && decisionOf((ordered[j] as OrderedRule).rule) === decision) j++;
    if (j === i) {
      out.push({ merged: false, rule: ordered[i] as OrderedRule });
      i++;
      continue;
    }
    if (decision === 'deny') {
      // The first deny that matches names the packet's rule: keep the order, fold stretches of one shape.
      let k = i;
      while (k < j) {
        let m = k + 1;
        while (m < j && keys[m]?.shape === keys[k]?.shape) m++;
        emit(
          decision,
          Array.from({ length: m - k }, (_, x) => k + x),
        );
        k = m;
      }
    } else {
      // Accepts and logs do not depend on their order among themselves: one fold per shape.
      const byShape = new Map<string, number[]>();
      for (let k = i; k < j; k++) {
        const shape = (keys[k] as FoldKey).shape;
        const members = byShape.get(shape) ?? [];
        members.push(k);
        byShape.set(shape, members);
      }
      for (const members of byShape.values()) emit(decision, members);
    }
    i = j;
  }
  return out;
}

/** Element texts by interval: cells of one address block share its interval object. */
function intervalTexts(): (type: FieldType, interval: Interval) => string {
  const memo = new WeakMap<Interval, string>();
  return (type, interval) => {
    let text = memo.get(interval);
    if (text === undefined) {
      text = intervalText(type, interval);
      memo.set(interval, text);
    }
    return text;
  };
}

function intervalText(type: FieldType, [low, high]: Interval): string {
  if (type === 'inet_service') return low === high ? String(low) : `${low}-${high}`;
  const family = type === 'ipv4_addr' ? 'ipv4' : 'ipv6';
  const bits = family === 'ipv4' ? 32 : 128;
  const text = (n: bigint) => addressFromNumber(n, family);
  if (low === high) return text(low);
  const size = high - low + 1n;
  // A block aligned on its size is a prefix: `10.0.0.0/8` reads better than a range.
  if ((size & (size - 1n)) === 0n && low % size === 0n) return `${text(low)}/${bits - (size.toString(2).length - 1)}`;
  return `${text(low)}-${text(high)}`;
}

const acceptLabel = () => 'a';
const firstLabel = (ords: readonly number[]) => String(ords[0]);
const allLabel = (ords: readonly number[]) => ords.join(',');

export interface FoldedNft {
  /** Set and map declarations for the table. */
  readonly declarations: readonly string[];
  /** The chain's rules, in order. */
  readonly rules: readonly string[];
}

/**
 * The nft text of a folded run. `name` prefixes the set names; `drop` is the statement for a
 * marked deny, `log` the log statement for a marked log-only packet.
 */
export function foldedRunNft(
  run: Extract<RuleRun, { merged: true }>,
  name: string,
  statements: { readonly drop: string; readonly log: string },
): FoldedNft {
  const first = run.keys[0] as FoldKey;
  const boxes: LabelledBox[] = [];
  for (let ord = 0; ord < run.keys.length; ord++)
    for (const box of (run.keys[ord] as FoldKey).boxes) boxes.push({ box, ord });
  const label = run.decision === 'accept' ? acceptLabel : run.decision === 'deny' ? firstLabel : allLabel;
  const cells = partition(boxes, label);
  const type = first.types.join(' . ');
  const text = intervalTexts();
  const types = first.types;
  // Called for each of tens of thousands of cells: a loop, not a map and join.
  const element = (box: readonly Interval[]) => {
    let out = text(types[0] as FieldType, box[0] as Interval);
    for (let d = 1; d < box.length; d++) out += ` . ${text(types[d] as FieldType, box[d] as Interval)}`;
    return out;
  };
  const mark = (tag: number, ord: number | undefined) =>
    `0x${(tag | ((run.rules[ord ?? 0] as OrderedRule).index & MARK_INDEX_MASK)).toString(16)}`;
  const tagText = (tag: number) => `meta mark & 0x${MARK_TAG_MASK.toString(16)} == 0x${tag.toString(16)}`;
  if (run.decision === 'accept') {
    const elements = cells.map((c) => element(c.box)).join(', ');
    return {
      declarations: [`\tset ${name} { type ${type}; flags interval; elements = { ${elements} } }`],
      rules: [`${first.selector} @${name} accept`],
    };
  }
  if (run.decision === 'deny') {
    const elements = cells.map((c) => `${element(c.box)} : ${mark(MARK_TAG, c.ords[0])}`).join(', ');
    // The map sets the mark only on a hit (a miss ends the rule), and the next rule drops what was
    // marked; the mark tells the agent which rule it was.
    return {
      declarations: [`\tmap ${name} { type ${type} : mark; flags interval; elements = { ${elements} } }`],
      rules: [`meta mark set ${first.selector} map @${name}`, `${tagText(MARK_TAG)} ${statements.drop}`],
    };
  }
  const depth = Math.max(...cells.map((c) => c.ords.length));
  const declarations: string[] = [];
  const rules: string[] = [];
  for (let layer = 0; layer < depth; layer++) {
    const layerName = `${name}_${layer}`;
    const elements = cells
      .filter((c) => c.ords.length > layer)
      .map((c) => `${element(c.box)} : ${mark(LOG_MARK_TAG, c.ords[layer])}`)
      .join(', ');
    declarations.push(`\tmap ${layerName} { type ${type} : mark; flags interval; elements = { ${elements} } }`);
    // Cleared after logging, so the next layer's miss is not taken for a hit.
    rules.push(
      `meta mark set ${first.selector} map @${layerName}`,
      `${tagText(LOG_MARK_TAG)} ${statements.log} meta mark set 0x0`,
    );
  }
  return { declarations, rules };
}
