import type { NewEvent } from '@bulwark/protocol';
import type { AggregatedRecord } from './event-aggregator.js';
import type { LogReason } from './log-prefix.js';
import { RECON_TITLES, type ReconDetection } from './recon-detector.js';

export const FIREWALL_MODULE_ID = 'firewall';

export const FirewallEventTypes = {
  packet: 'packet',
  reconnaissance: 'reconnaissance',
} as const;

const REASON_NAMES: Record<Exclude<LogReason['kind'], 'rule'>, string> = {
  'implicit-deny': 'Implicit deny (not allowed by any allow rule)',
  invalid: 'Invalid packet (no valid connection)',
  'half-open-limit': 'Too many connections being opened by one source',
  'blocked-source': 'Source blocked after reconnaissance',
  'marked-rule': 'A merged rule',
};

/** The event for an aggregated run of logged packets; the rule was resolved when the packets were read. */
export function packetEvent(record: AggregatedRecord): NewEvent {
  const { first } = record;
  const p = first.packet;
  const rule = first.reason.kind === 'rule' ? first.rule : undefined;
  const ruleName =
    first.reason.kind === 'rule' ? (rule?.name ?? `rule #${first.reason.index}`) : REASON_NAMES[first.reason.kind];
  const action =
    first.verdict === 'logged' ? 'Log Only' : first.verdict === 'would-drop' ? 'Detect Only: Deny' : 'Deny';
  const from = p.sourcePort !== undefined ? `${p.source}:${p.sourcePort}` : p.source;
  const to = p.destinationPort !== undefined ? `${p.destination}:${p.destinationPort}` : p.destination;
  const repeat = record.count > 1 ? ` (${record.count} packets)` : '';
  return {
    module: FIREWALL_MODULE_ID,
    type: FirewallEventTypes.packet,
    severity: first.verdict === 'logged' ? 'info' : 'low',
    ...(rule?.id !== undefined ? { ruleId: rule.id } : {}),
    action,
    summary: `${action}: ${p.protocol} ${from} -> ${to} ${first.direction}${first.interface ? ` on ${first.interface}` : ''} by ${ruleName}${repeat}`,
    details: {
      rule: ruleName,
      reason: first.reason.kind,
      direction: first.direction,
      interface: first.interface ?? null,
      protocol: p.protocol,
      source: p.source,
      destination: p.destination,
      sourcePort: p.sourcePort ?? null,
      destinationPort: p.destinationPort ?? null,
      packetSize: p.length,
      repeatCount: record.count,
      bytes: record.bytes,
      firstSeen: new Date(record.firstMs).toISOString(),
      lastSeen: new Date(record.lastMs).toISOString(),
      // The kernel stamps packets it logs on input; on output it gives no time, and the agent's
      // reading time stands in (late by as long as the agent was stalled).
      timeSource: record.timeSource,
    },
    time: new Date(record.firstMs).toISOString(),
  };
}

/** What became of a detection's source. */
export type ReconOutcome =
  /** Cut off for `seconds`. */
  | { readonly kind: 'blocked'; readonly seconds: number }
  /** Tap mode: it would have been blocked. */
  | { readonly kind: 'detect-only' }
  /** Blocking is off for this kind of detection. */
  | { readonly kind: 'logged' }
  /** Blocking is on but the source was not blocked, for `reason` (the manager's address, nft refused). */
  | { readonly kind: 'not-blocked'; readonly reason: string };

/** The event for a reconnaissance detection, saying what was done about the source. */
export function reconEvent(detection: ReconDetection, outcome: ReconOutcome): NewEvent {
  const title = RECON_TITLES[detection.kind];
  const action = outcome.kind === 'blocked' ? 'Block' : outcome.kind === 'detect-only' ? 'Detect Only: Block' : 'Log';
  const what =
    outcome.kind === 'blocked'
      ? `; blocked for ${outcome.seconds} s`
      : outcome.kind === 'not-blocked'
        ? `; not blocked: ${outcome.reason}`
        : '';
  return {
    module: FIREWALL_MODULE_ID,
    type: FirewallEventTypes.reconnaissance,
    severity: 'medium',
    ruleId: `recon:${detection.kind}`,
    action,
    summary: `${title} from ${detection.source}${what}`,
    details: {
      kind: detection.kind,
      source: detection.source,
      family: detection.family,
      count: detection.count,
      sample: [...detection.sample],
      blockSeconds: outcome.kind === 'blocked' ? outcome.seconds : 0,
      ...(outcome.kind === 'not-blocked' ? { notBlockedReason: outcome.reason } : {}),
    },
    time: new Date(detection.timeMs).toISOString(),
  };
}
