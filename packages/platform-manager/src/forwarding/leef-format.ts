import type { Severity, SiemField } from '@bulwark/protocol';
import type { ForwardedEvent, ProductIdentity } from './forwarded-event.js';

/** LEEF `sev` is 1..10. */
const LEEF_SEVERITY: Readonly<Record<Severity, number>> = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };

/** Attributes are separated by a tab, declared in the header as `x09`. */
const DELIMITER = '\t';

/** Header fields: `|` would end the field and a line break the event; both are escaped. */
export function leefHeaderValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** Attribute values: backslash, the tab delimiter and line breaks become `\\`, `\t`, `\n`, `\r`. */
export function leefAttributeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** `LEEF:2.0|Vendor|Product|Version|<module>:<type>|x09|devTime=…<tab>sev=…<tab>…`. */
export function formatLeef(event: ForwardedEvent, identity: ProductIdentity, fields: readonly SiemField[]): string {
  const header = [
    'LEEF:2.0',
    leefHeaderValue(identity.vendor),
    leefHeaderValue(identity.product),
    leefHeaderValue(identity.version),
    leefHeaderValue(`${event.module}:${event.type}`),
    'x09',
  ].join('|');
  const attributes: [string, string | number | null][] = [
    ['devTime', event.time],
    ['devTimeFormat', "yyyy-MM-dd'T'HH:mm:ss.SSSX"],
    ['sev', LEEF_SEVERITY[event.severity]],
    ['cat', event.module],
    ['identHostName', event.computer.hostname],
    ['computerId', event.computerId],
    ['computerName', event.computer.name],
    ['eventId', event.id],
    ['agentSequence', event.seq],
    ['ruleId', event.ruleId],
    ['action', event.action],
    ['summary', event.summary],
  ];
  for (const field of fields) attributes.push([field.leef, field.value]);
  if (event.details !== null) attributes.push(['details', JSON.stringify(event.details)]);
  const body = attributes
    .filter((pair): pair is [string, string | number] => pair[1] !== null)
    .map(([key, value]) => `${key}=${leefAttributeValue(String(value))}`)
    .join(DELIMITER);
  return `${header}|${body}`;
}
