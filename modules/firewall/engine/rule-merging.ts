import { parseAddressTerm, parsePortTerm } from './address.js';
import type { OrderedRule } from './rule-order.js';
import type { FirewallRule } from './rule-schema.js';

/**
 * Merging long runs of simple rules into one nft rule with a set (allow) or a map (deny), so that
 * thousands of "this address to that port" rules load quickly and are looked up, not walked.
 * Only rules that match exactly one source address and/or one destination port, and nothing else,
 * are merged; and only when adjacent in evaluation order with the same decision, so the result
 * decides every packet as the rules one by one would.
 */

/** Tag in the top byte of the packet mark that says which merged deny rule matched. */
export const MARK_TAG = 0x62000000;
export const MARK_TAG_MASK = 0xff000000;
export const MARK_INDEX_MASK = 0x00ffffff;
/** Shortest run worth merging; shorter runs stay one nft rule per firewall rule. */
export const MIN_MERGED_RUN = 8;

interface SimpleKey {
  readonly shape: string;
  readonly source?: string;
  readonly sourceKeyword?: string;
  readonly port?: string;
  readonly protocol: 'tcp' | 'udp';
}

/** The key of a rule simple enough to merge, or undefined. */
export function simpleKey(rule: FirewallRule): SimpleKey | undefined {
  const { protocol, source, destinationPorts } = rule;
  if (protocol !== 'tcp' && protocol !== 'udp') return undefined;
  if (rule.action === 'log-only') return undefined;
  const extra =
    rule.destination ||
    rule.sourcePorts ||
    rule.sourceMac ||
    rule.tcpFlags ||
    rule.icmpTypes ||
    rule.interface ||
    rule.connectionStates ||
    rule.fragments ||
    (rule.frameType !== undefined && rule.frameType !== 'any');
  if (extra) return undefined;
  let sourceText: string | undefined;
  let family: string | undefined;
  if (source) {
    if (source.negate || (source.ipLists?.length ?? 0) > 0 || source.addresses?.length !== 1) return undefined;
    const r = parseAddressTerm(source.addresses[0]);
    if (!r.ok || r.value.nft.includes('/') || r.value.nft.includes('-')) return undefined;
    sourceText = r.value.nft;
    family = r.value.family;
  }
  let port: string | undefined;
  if (destinationPorts) {
    if (
      destinationPorts.negate ||
      (destinationPorts.portLists?.length ?? 0) > 0 ||
      destinationPorts.ports?.length !== 1
    )
      return undefined;
    const r = parsePortTerm(destinationPorts.ports[0]);
    if (!r.ok || r.value.includes('-')) return undefined;
    port = r.value;
  }
  if (!sourceText && !port) return undefined;
  const sourceKeyword = family === 'ipv6' ? 'ip6 saddr' : family === 'ipv4' ? 'ip saddr' : undefined;
  return {
    shape: `${protocol}|${family ?? '-'}|${port ? 'port' : '-'}`,
    protocol,
    ...(sourceText ? { source: sourceText, sourceKeyword } : {}),
    ...(port ? { port } : {}),
  };
}

export type RuleRun =
  | { readonly merged: false; readonly rule: OrderedRule }
  | {
      readonly merged: true;
      readonly decision: 'accept' | 'deny';
      readonly rules: readonly OrderedRule[];
      readonly keys: readonly SimpleKey[];
    };

const decisionOf = (rule: FirewallRule) =>
  rule.action === 'deny' ? 'deny' : rule.action === 'log-only' ? undefined : 'accept';

/** Splits ordered rules into single rules and mergeable runs. */
export function groupRuns(ordered: readonly OrderedRule[]): RuleRun[] {
  const keys = ordered.map((o) => simpleKey(o.rule));
  const out: RuleRun[] = [];
  let i = 0;
  while (i < ordered.length) {
    const first = ordered[i] as OrderedRule;
    const key = keys[i];
    const decision = decisionOf(first.rule);
    let j = i + 1;
    if (key && decision) {
      while (j < ordered.length) {
        const k = keys[j];
        if (!k || k.shape !== key.shape || decisionOf((ordered[j] as OrderedRule).rule) !== decision) break;
        j++;
      }
    }
    if (key && decision && j - i >= MIN_MERGED_RUN) {
      out.push({ merged: true, decision, rules: ordered.slice(i, j), keys: keys.slice(i, j) as SimpleKey[] });
      i = j;
    } else {
      out.push({ merged: false, rule: first });
      i++;
    }
  }
  return out;
}

/** The selector and element text of a merged run: `ip saddr . tcp dport` and `a . p`. */
export function runSelector(key: SimpleKey): string {
  const parts: string[] = [];
  if (key.sourceKeyword) parts.push(key.sourceKeyword);
  if (key.port) parts.push(`${key.protocol} dport`);
  return parts.join(' . ');
}

export function runElement(key: SimpleKey): string {
  return [key.source, key.port].filter((p) => p !== undefined).join(' . ');
}
