import type { NewEvent } from '@bulwark/protocol';
import { IPS_EVENT_TYPE, IpsEventAction } from '../engine/ips-configuration.js';
import type { FoldedFinding } from './finding-folder.js';

/** Why a `Fail-Open: Reset` event's packet was not stopped, in the event's details. */
export const FAIL_OPEN_REASON =
  'verdict after deadline: the kernel had already let the matching packet through (fail-open); later packets of the connection are blocked';

/** The event of one folded finding: who, what rule, what was done, what matched, how often. */
export function ipsEvent(folded: FoldedFinding): NewEvent {
  const { finding, flow, action } = folded.first;
  // The packet that matched went this way: to_server is from the client.
  const toServer = finding.direction === 'to_server';
  const source = toServer ? flow.clientAddress : flow.serverAddress;
  const destination = toServer ? flow.serverAddress : flow.clientAddress;
  const sourcePort = toServer ? flow.clientPort : flow.serverPort;
  const destinationPort = toServer ? flow.serverPort : flow.clientPort;
  const repeats = folded.count > 1 ? ` (${folded.count} times)` : '';
  return {
    module: 'ips',
    type: IPS_EVENT_TYPE,
    severity: finding.severity,
    ruleId: finding.ruleId,
    action,
    summary:
      `${action}: ${finding.ruleName} (${finding.ruleId}), ${flow.protocol} ${source}:${sourcePort} → ` +
      `${destination}:${destinationPort}, ${finding.buffer}${repeats}`.slice(0, 2048),
    time: new Date(folded.firstMs).toISOString(),
    details: {
      rule: finding.ruleName,
      ruleId: finding.ruleId,
      direction: finding.direction,
      protocol: flow.protocol,
      source,
      sourcePort,
      destination,
      destinationPort,
      client: flow.clientAddress,
      server: `${flow.serverAddress}:${flow.serverPort}`,
      buffer: finding.buffer,
      evidence: finding.evidence.slice(0, 256),
      repeatCount: folded.count,
      firstSeen: new Date(folded.firstMs).toISOString(),
      lastSeen: new Date(folded.lastMs).toISOString(),
      ...(action === IpsEventAction.failOpenReset ? { failedOpen: true, failOpenReason: FAIL_OPEN_REASON } : {}),
      ...(finding.message !== undefined ? { message: finding.message } : {}),
      ...(finding.classtype !== undefined ? { classtype: finding.classtype } : {}),
    },
  };
}
