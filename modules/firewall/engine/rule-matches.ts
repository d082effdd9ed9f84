import { disjointTerms, type Family, parseAddressTerm, parseMac, parsePortTerm } from './address.js';
import type { FirewallLists, FirewallRule, IcmpType } from './rule-schema.js';

/** Names of the nft sets the compiler declares for the reusable lists a rule refers to. */
export interface ListSetNames {
  ip(listId: string, family: Family): string | undefined;
  mac(listId: string): string | undefined;
  port(listId: string): string | undefined;
  /**
   * The name of a named set holding these values, declared by the compiler (equal value lists
   * share one). Several values of one rule go into a named set rather than an anonymous one:
   * the kernel names each anonymous set by scanning all the others, so 10,000 of them take minutes
   * to load where named sets take a second.
   */
  values(type: InlineSetType, terms: readonly string[]): string;
}

export type InlineSetType = 'ipv4_addr' | 'ipv6_addr' | 'inet_service' | 'ether_addr';

const IFTYPES: Record<string, string> = {
  ethernet: 'ether',
  loopback: 'loopback',
  ppp: 'ppp',
  tunnel: '{ ipip, ipip6, sit, ipgre }',
};

const V6_ONLY_ICMP: readonly IcmpType[] = [
  'packet-too-big',
  'nd-router-solicit',
  'nd-router-advert',
  'nd-neighbor-solicit',
  'nd-neighbor-advert',
];

/**
 * One side of a match with several acceptable values, e.g. `ip saddr` with three blocks. It is
 * rendered as one nft rule per value when the rule is small enough (plain comparisons cost the
 * kernel nothing to load), or as a lookup in a named set. `fixed` is an expression to use as is.
 */
interface Dimension {
  readonly keyword: string;
  readonly negate: boolean;
  /** Pairwise disjoint, so one rule per value never matches a packet twice (log-only rules). */
  readonly values: readonly string[];
  readonly type: InlineSetType;
  readonly fixed?: string;
}

/** Most nft rules one firewall rule expands into before its largest value lists become sets. */
export const MAX_EXPANSION = 8;

function dimension(keyword: string, negate: boolean, type: InlineSetType, terms: readonly string[]): Dimension {
  const values = type === 'ether_addr' ? [...new Set(terms)] : disjointTerms(type, terms);
  return { keyword, negate, values, type };
}

/** The alternatives (one per nft rule) a dimension contributes; several only when expanded. */
function render(d: Dimension, sets: ListSetNames, expand: boolean): string[] {
  if (d.fixed !== undefined) return [d.fixed];
  const op = d.negate ? '!= ' : '';
  if (d.values.length === 1) return [`${d.keyword} ${op}${d.values[0]}`];
  if (!expand) return [`${d.keyword} ${op}@${sets.values(d.type, d.values)}`];
  // "none of these" is one rule of several comparisons; "any of these" is one rule each.
  if (d.negate) return [d.values.map((v) => `${d.keyword} != ${v}`).join(' ')];
  return d.values.map((v) => `${d.keyword} ${v}`);
}

function alternativesIfExpanded(d: Dimension): number {
  return d.fixed !== undefined || d.negate ? 1 : d.values.length;
}

/** Chooses which dimensions to expand so that the rule stays within MAX_EXPANSION nft rules. */
function renderAll(dimensions: readonly Dimension[], sets: ListSetNames): string[][] {
  const expand = dimensions.map((d) => d.values.length <= MAX_EXPANSION);
  const product = () => dimensions.reduce((n, d, i) => n * (expand[i] ? alternativesIfExpanded(d) : 1), 1);
  while (product() > MAX_EXPANSION) {
    let widest = -1;
    dimensions.forEach((d, i) => {
      if (
        expand[i] &&
        alternativesIfExpanded(d) > 1 &&
        (widest < 0 || alternativesIfExpanded(d) > alternativesIfExpanded(dimensions[widest] as Dimension))
      )
        widest = i;
    });
    expand[widest] = false;
  }
  return dimensions.map((d, i) => render(d, sets, expand[i] ?? false));
}

function setOrSingle(terms: readonly string[]): string {
  return terms.length === 1 ? (terms[0] as string) : `{ ${terms.join(', ')} }`;
}

/**
 * One side's addresses in one family: undefined = no constraint,
 * null = the rule cannot match this family (it names addresses, none of them of this family).
 */
function addressDimension(
  field: 'saddr' | 'daddr',
  match: FirewallRule['source'],
  family: Family,
  lists: FirewallLists,
  sets: ListSetNames,
): Dimension | undefined | null {
  const inline = match?.addresses ?? [];
  const refs = match?.ipLists ?? [];
  if (inline.length === 0 && refs.length === 0) return undefined;
  const keyword = `${family === 'ipv4' ? 'ip' : 'ip6'} ${field}`;
  const negate = match?.negate === true;
  const type = family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr';
  const inlineTerms = inline.flatMap((a) => {
    const r = parseAddressTerm(a);
    return r.ok && r.value.family === family ? [r.value.nft] : [];
  });
  const onlyRef = refs[0];
  if (inlineTerms.length === 0 && refs.length === 1 && onlyRef !== undefined) {
    const listTerms = lists.ipLists.find((l) => l.id === onlyRef)?.addresses ?? [];
    const hasFamily = listTerms.some((a) => {
      const r = parseAddressTerm(a);
      return r.ok && r.value.family === family;
    });
    if (!hasFamily) return negate ? undefined : null;
    return {
      keyword,
      negate,
      values: [],
      type,
      fixed: `${keyword} ${negate ? '!= ' : ''}@${sets.ip(onlyRef, family)}`,
    };
  }
  const terms = [...inlineTerms];
  for (const id of refs) {
    for (const a of lists.ipLists.find((l) => l.id === id)?.addresses ?? []) {
      const r = parseAddressTerm(a);
      if (r.ok && r.value.family === family) terms.push(r.value.nft);
    }
  }
  if (terms.length === 0) return negate ? undefined : null;
  return dimension(keyword, negate, type, terms);
}

function portDimension(
  field: 'sport' | 'dport',
  protocol: 'tcp' | 'udp',
  match: FirewallRule['sourcePorts'],
  lists: FirewallLists,
  sets: ListSetNames,
): Dimension | undefined {
  if (!match) return undefined;
  const inline = match.ports ?? [];
  const refs = match.portLists ?? [];
  const keyword = `${protocol} ${field}`;
  const negate = match.negate === true;
  const onlyRef = refs[0];
  if (inline.length === 0 && refs.length === 1 && onlyRef !== undefined)
    return {
      keyword,
      negate,
      values: [],
      type: 'inet_service',
      fixed: `${keyword} ${negate ? '!= ' : ''}@${sets.port(onlyRef)}`,
    };
  const terms = [...inline, ...refs.flatMap((id) => lists.portLists.find((l) => l.id === id)?.ports ?? [])].flatMap(
    (p) => {
      const r = parsePortTerm(p);
      return r.ok ? [r.value] : [];
    },
  );
  // No ports at all can match nothing; an empty set is not valid nft, so say it directly.
  if (terms.length === 0)
    return negate
      ? undefined
      : { keyword, negate, values: [], type: 'inet_service', fixed: `${keyword} 0 ${keyword} 1` };
  return dimension(keyword, negate, 'inet_service', terms);
}

function macDimension(
  match: FirewallRule['sourceMac'],
  lists: FirewallLists,
  sets: ListSetNames,
  keyword: string,
): Dimension | undefined {
  if (!match) return undefined;
  const inline = match.macs ?? [];
  const refs = match.macLists ?? [];
  const negate = match.negate === true;
  const onlyRef = refs[0];
  if (inline.length === 0 && refs.length === 1 && onlyRef !== undefined)
    return {
      keyword,
      negate,
      values: [],
      type: 'ether_addr',
      fixed: `${keyword} ${negate ? '!= ' : ''}@${sets.mac(onlyRef)}`,
    };
  const terms = [...inline, ...refs.flatMap((id) => lists.macLists.find((l) => l.id === id)?.macs ?? [])].flatMap(
    (m) => {
      const r = parseMac(m);
      return r.ok ? [r.value] : [];
    },
  );
  if (terms.length === 0)
    return negate
      ? undefined
      : {
          keyword,
          negate,
          values: [],
          type: 'ether_addr',
          fixed: `${keyword} 00:00:00:00:00:00 ${keyword} 00:00:00:00:00:01`,
        };
  return dimension(keyword, negate, 'ether_addr', terms);
}

function interfaceExpressions(rule: FirewallRule, arp: boolean): string[] {
  const out: string[] = [];
  const io = rule.direction === 'incoming' ? 'iif' : 'oif';
  if (rule.interface?.namePattern) out.push(`${io}name "${rule.interface.namePattern}"`);
  if (rule.interface?.type && !arp) out.push(`${io}type ${IFTYPES[rule.interface.type]}`);
  return out;
}

/** The families an IP rule has to be written for; [undefined] = one family-agnostic nft rule. */
function familiesOf(rule: FirewallRule): (Family | undefined)[] {
  const protocol = rule.protocol ?? 'any';
  const frame = rule.frameType ?? 'any';
  const hasAddresses = [rule.source, rule.destination].some(
    (m) => (m?.addresses?.length ?? 0) + (m?.ipLists?.length ?? 0) > 0,
  );
  if (protocol === 'icmp' || frame === 'ipv4') return ['ipv4'];
  if (protocol === 'icmpv6' || frame === 'ipv6') return ['ipv6'];
  if (rule.fragments || hasAddresses) return ['ipv4', 'ipv6'];
  return [undefined];
}

/**
 * The match parts of the nft rules that implement an IP rule: one per family, times the values
 * of its small value lists (see MAX_EXPANSION). A packet matches at most one of them.
 */
export function ipRuleMatches(rule: FirewallRule, lists: FirewallLists, sets: ListSetNames): string[] {
  const protocol = rule.protocol ?? 'any';
  const out: string[] = [];
  for (const family of familiesOf(rule)) {
    // Fixed text and dimensions in the order nft needs them; dimensions are rendered below.
    const parts: (string | Dimension)[] = [];
    if (family) {
      const source = addressDimension('saddr', rule.source, family, lists, sets);
      const destination = addressDimension('daddr', rule.destination, family, lists, sets);
      if (source === null || destination === null) continue;
      if (source === undefined && destination === undefined) parts.push(`meta nfproto ${family}`);
      if (source) parts.push(source);
      if (destination) parts.push(destination);
    }
    if (rule.fragments) {
      parts.push(family === 'ipv4' ? 'ip frag-off & 0x3fff != 0' : 'exthdr frag exists');
    }
    const mac = macDimension(rule.sourceMac, lists, sets, 'ether saddr');
    if (mac) parts.push(mac);
    if (protocol === 'tcp' || protocol === 'udp') {
      parts.push(`meta l4proto ${protocol}`);
      const sp = portDimension('sport', protocol, rule.sourcePorts, lists, sets);
      const dp = portDimension('dport', protocol, rule.destinationPorts, lists, sets);
      if (sp) parts.push(sp);
      if (dp) parts.push(dp);
    } else if (protocol === 'icmp') parts.push('meta l4proto icmp');
    else if (protocol === 'icmpv6') parts.push('meta l4proto ipv6-icmp');
    else if (typeof protocol === 'number') parts.push(`meta l4proto ${protocol}`);
    if (rule.tcpFlags) {
      const mask = [...rule.tcpFlags.set, ...rule.tcpFlags.unset];
      const value = rule.tcpFlags.set.length > 0 ? rule.tcpFlags.set.join(' | ') : '0x0';
      parts.push(`tcp flags & (${mask.join(' | ')}) == ${value}`);
    }
    if (rule.icmpTypes && rule.icmpTypes.length > 0) {
      const v6 = protocol === 'icmpv6';
      const types = rule.icmpTypes.filter((t) => v6 || !V6_ONLY_ICMP.includes(t));
      if (types.length === 0) continue;
      parts.push(`${v6 ? 'icmpv6' : 'icmp'} type ${setOrSingle(types)}`);
    }
    // A bitmask list, not a set: `ct state established,related`.
    if (rule.connectionStates) parts.push(`ct state ${rule.connectionStates.join(',')}`);
    // Interface matches go last: an interface-type match before an address match makes nft
    // infer a conflicting link-layer protocol.
    parts.push(...interfaceExpressions(rule, false));
    const dimensions = parts.filter((p): p is Dimension => typeof p !== 'string');
    const rendered = renderAll(dimensions, sets);
    let lines = [''];
    for (const part of parts) {
      const choices = typeof part === 'string' ? [part] : (rendered[dimensions.indexOf(part)] ?? []);
      lines = lines.flatMap((line) => choices.map((c) => (line ? `${line} ${c}` : c)));
    }
    out.push(...lines);
  }
  return out;
}

/** The match part of the nft rule for an ARP rule (table arp). */
export function arpRuleMatch(rule: FirewallRule, lists: FirewallLists, sets: ListSetNames): string | undefined {
  const parts: string[] = [...interfaceExpressions(rule, true)];
  const source = addressDimension('saddr', rule.source, 'ipv4', lists, sets);
  const destination = addressDimension('daddr', rule.destination, 'ipv4', lists, sets);
  if (source === null || destination === null) return undefined;
  // One nft rule per ARP rule: value lists become sets here.
  const single = (d: Dimension) => render(d, sets, false)[0] as string;
  if (source) parts.push(single(source).replace(/^ip saddr/, 'arp saddr ip'));
  if (destination) parts.push(single(destination).replace(/^ip daddr/, 'arp daddr ip'));
  const mac = macDimension(rule.sourceMac, lists, sets, 'arp saddr ether');
  if (mac) parts.push(single(mac));
  return parts.join(' ');
}
