import type { ForwardedEvent, ProductIdentity } from './forwarded-event.js';

/**
 * One JSON object on one line (JSON.stringify escapes every line break inside strings). Field
 * names are the REST API's, so a SIEM sees the same event the console shows.
 */
export function formatJson(event: ForwardedEvent, identity: ProductIdentity): string {
  return JSON.stringify({
    vendor: identity.vendor,
    product: identity.product,
    version: identity.version,
    id: event.id,
    time: event.time,
    receivedAt: event.receivedAt,
    computerId: event.computerId,
    computerName: event.computer.name,
    hostname: event.computer.hostname,
    module: event.module,
    type: event.type,
    severity: event.severity,
    ruleId: event.ruleId,
    action: event.action,
    summary: event.summary,
    seq: event.seq,
    details: event.details,
  });
}
