import { type Family, parseAddressTerm, parseMac, parsePortTerm } from './address.js';
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

/** One value as itself, several as a reference to a named set. */
function oneOrNamedSet(terms: readonly string[], type: InlineSetType, sets: ListSetNames): string {
  return terms.length === 1 ? (terms[0] as string) : `@${sets.values(type, terms)}`;
}

function setOrSingle(terms: readonly string[]): string {
  return terms.length === 1 ? (terms[0] as string) : `{ ${terms.join(', ')} }`;
}

/**
 * The nft expression for one side's addresses in one family: undefined = no constraint,
 * null = the rule cannot match this family (it names addresses, none of them of this family).
 */
function addressExpression(
  field: 'saddr' | 'daddr',
  match: FirewallRule['source'],
  family: Family,
  lists: FirewallLists,
  sets: ListSetNames,
): string | undefined | null {
  const inline = match?.addresses ?? [];
  const refs = match?.ipLists ?? [];
  if (inline.length === 0 && refs.length === 0) return undefined;
  const keyword = `${family === 'ipv4' ? 'ip' : 'ip6'} ${field} ${match?.negate ? '!= ' : ''}`;
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
    if (!hasFamily) return match?.negate ? undefined : null;
    return `${keyword}@${sets.ip(onlyRef, family)}`;
  }
  const terms = [...inlineTerms];
  for (const id of refs) {
    for (const a of lists.ipLists.find((l) => l.id === id)?.addresses ?? []) {
      const r = parseAddressTerm(a);
      if (r.ok && r.value.family === family) terms.push(r.value.nft);
    }
  }
  if (terms.length === 0) return match?.negate ? undefined : null;
  return keyword + oneOrNamedSet([...new Set(terms)], family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr', sets);
}

function portExpression(
  field: 'sport' | 'dport',
  protocol: 'tcp' | 'udp',
  match: FirewallRule['sourcePorts'],
  lists: FirewallLists,
  sets: ListSetNames,
): string | undefined {
  if (!match) return undefined;
  const inline = match.ports ?? [];
  const refs = match.portLists ?? [];
  const keyword = `${protocol} ${field} ${match.negate ? '!= ' : ''}`;
  const onlyRef = refs[0];
  if (inline.length === 0 && refs.length === 1 && onlyRef !== undefined) return `${keyword}@${sets.port(onlyRef)}`;
  const terms = [...inline, ...refs.flatMap((id) => lists.portLists.find((l) => l.id === id)?.ports ?? [])].flatMap(
    (p) => {
      const r = parsePortTerm(p);
      return r.ok ? [r.value] : [];
    },
  );
  // No ports at all can match nothing; an empty anonymous set is not valid nft, so say it directly.
  if (terms.length === 0) return match.negate ? undefined : `${protocol} ${field} 0 ${protocol} ${field} 1`;
  return keyword + oneOrNamedSet([...new Set(terms)], 'inet_service', sets);
}

function macExpression(
  match: FirewallRule['sourceMac'],
  lists: FirewallLists,
  sets: ListSetNames,
  keyword: string,
): string | undefined {
  if (!match) return undefined;
  const inline = match.macs ?? [];
  const refs = match.macLists ?? [];
  const prefix = `${keyword} ${match.negate ? '!= ' : ''}`;
  const onlyRef = refs[0];
  if (inline.length === 0 && refs.length === 1 && onlyRef !== undefined) return `${prefix}@${sets.mac(onlyRef)}`;
  const terms = [...inline, ...refs.flatMap((id) => lists.macLists.find((l) => l.id === id)?.macs ?? [])].flatMap(
    (m) => {
      const r = parseMac(m);
      return r.ok ? [r.value] : [];
    },
  );
  if (terms.length === 0) return match.negate ? undefined : `${keyword} 00:00:00:00:00:00 ${keyword} 00:00:00:00:00:01`;
  return prefix + oneOrNamedSet([...new Set(terms)], 'ether_addr', sets);
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

/** The match part of the nft rules (one per family) that implement an IP rule. */
export function ipRuleMatches(rule: FirewallRule, lists: FirewallLists, sets: ListSetNames): string[] {
  const protocol = rule.protocol ?? 'any';
  const out: string[] = [];
  for (const family of familiesOf(rule)) {
    const parts: string[] = [];
    if (family) {
      const source = addressExpression('saddr', rule.source, family, lists, sets);
      const destination = addressExpression('daddr', rule.destination, family, lists, sets);
      if (source === null || destination === null) continue;
      if (source === undefined && destination === undefined) parts.push(`meta nfproto ${family}`);
      if (source) parts.push(source);
      if (destination) parts.push(destination);
    }
    if (rule.fragments) {
      parts.push(family === 'ipv4' ? 'ip frag-off & 0x3fff != 0' : 'exthdr frag exists');
    }
    const mac = macExpression(rule.sourceMac, lists, sets, 'ether saddr');
    if (mac) parts.push(mac);
    if (protocol === 'tcp' || protocol === 'udp') {
      parts.push(`meta l4proto ${protocol}`);
      const sp = portExpression('sport', protocol, rule.sourcePorts, lists, sets);
      const dp = portExpression('dport', protocol, rule.destinationPorts, lists, sets);
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
    out.push(parts.join(' '));
  }
  return out;
}

/** The match part of the nft rule for an ARP rule (table arp). */
export function arpRuleMatch(rule: FirewallRule, lists: FirewallLists, sets: ListSetNames): string | undefined {
  const parts: string[] = [...interfaceExpressions(rule, true)];
  const source = addressExpression('saddr', rule.source, 'ipv4', lists, sets);
  const destination = addressExpression('daddr', rule.destination, 'ipv4', lists, sets);
  if (source === null || destination === null) return undefined;
  if (source) parts.push(source.replace(/^ip saddr/, 'arp saddr ip'));
  if (destination) parts.push(destination.replace(/^ip daddr/, 'arp daddr ip'));
  const mac = macExpression(rule.sourceMac, lists, sets, 'arp saddr ether');
  if (mac) parts.push(mac);
  return parts.join(' ');
}
