import type { NetworkEngineMode, NewEvent } from '@bulwark/protocol';
import type { AggregatedRecord } from './event-aggregator.js';
import type { FirewallConfiguration } from './firewall-configuration.js';
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

/** The event for an aggregated run of logged packets. */
export function packetEvent(record: AggregatedRecord, config: FirewallConfiguration): NewEvent {
  const { first } = record;
  const p = first.packet;
  const rule = first.reason.kind === 'rule' ? config.rules[first.reason.index] : undefined;
  const ruleName =
    rule?.name ?? (first.reason.kind === 'rule' ? `rule #${first.reason.index}` : REASON_NAMES[first.reason.kind]);
  const action =
    first.verdict === 'logged' ? 'Log Only' : first.verdict === 'would-drop' ? 'Detect Only: Deny' : 'Deny';
  const from = p.sourcePort !== undefined ? `${p.source}:${p.sourcePort}` : p.source;
  const to = p.destinationPort !== undefined ? `${p.destination}:${p.destinationPort}` : p.destination;
  const repeat = record.count > 1 ? ` (${record.count} packets)` : '';
  return {
    module: FIREWALL_MODULE_ID,
    type: FirewallEventTypes.packet,
    severity: first.verdict === 'logged' ? 'info' : 'low',
    ...(rule ? { ruleId: rule.id } : {}),
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
    },
    time: new Date(record.firstMs).toISOString(),
  };
}

/** The event for a reconnaissance detection; `blocked` says whether the source was cut off. */
export function reconEvent(detection: ReconDetection, mode: NetworkEngineMode, blockSeconds: number): NewEvent {
  const title = RECON_TITLES[detection.kind];
  const action = !detection.block ? 'Log' : mode === 'tap' ? 'Detect Only: Block' : 'Block';
  return {
    module: FIREWALL_MODULE_ID,
    type: FirewallEventTypes.reconnaissance,
    severity: 'medium',
    ruleId: `recon:${detection.kind}`,
    action,
    summary: `${title} from ${detection.source}${action === 'Block' ? `; blocked for ${blockSeconds} s` : ''}`,
    details: {
      kind: detection.kind,
      source: detection.source,
      family: detection.family,
      count: detection.count,
      sample: [...detection.sample],
      blockSeconds: action === 'Block' ? blockSeconds : 0,
    },
    time: new Date(detection.timeMs).toISOString(),
  };
}
