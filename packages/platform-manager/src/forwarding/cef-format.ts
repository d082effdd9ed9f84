import type { Severity, SiemField } from '@bulwark/protocol';
import type { ForwardedEvent, ProductIdentity } from './forwarded-event.js';

/** CEF severity 0..10. */
const CEF_SEVERITY: Readonly<Record<Severity, number>> = { info: 1, low: 3, medium: 5, high: 8, critical: 10 };

/** CEF header fields: `\` and `|` escaped; a line break cannot be escaped there, so it becomes a space. */
export function cefHeaderValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

/** CEF extension values: `\`, `=` and line breaks escaped, so a parser finds every key and one event is one line. */
export function cefExtensionValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : value.slice(0, max);
}

/**
 * `CEF:0|Vendor|Product|Version|<module>:<type>|<summary>|<0..10>|rt=… dvchost=… …`.
 * Custom-string slots: cs1 rule id, cs2 computer name, cs3–cs5 per module, cs6 the details JSON.
 */
export function formatCef(event: ForwardedEvent, identity: ProductIdentity, fields: readonly SiemField[]): string {
  const header = [
    'CEF:0',
    cefHeaderValue(identity.vendor),
    cefHeaderValue(identity.product),
    cefHeaderValue(identity.version),
    cefHeaderValue(clip(`${event.module}:${event.type}`, 1023)),
    cefHeaderValue(clip(event.summary, 512)),
    String(CEF_SEVERITY[event.severity]),
  ].join('|');
  const pairs: [string, string | number | null | undefined][] = [
    ['rt', Date.parse(event.time)],
    ['dvchost', event.computer.hostname],
    ['deviceExternalId', event.computerId],
    ['externalId', event.id],
    ['cat', event.module],
    ['act', event.action],
    ['msg', event.summary],
    ['cn1Label', 'agentSequence'],
    ['cn1', event.seq],
  ];
  if (event.ruleId !== null) pairs.push(['cs1Label', 'ruleId'], ['cs1', event.ruleId]);
  if (event.computer.name !== null) pairs.push(['cs2Label', 'computerName'], ['cs2', event.computer.name]);
  for (const field of fields) {
    if (field.cefLabel !== undefined) pairs.push([`${field.cef}Label`, field.cefLabel]);
    pairs.push([field.cef, field.value]);
  }
  if (event.details !== null) pairs.push(['cs6Label', 'details'], ['cs6', JSON.stringify(event.details)]);
  const extension = pairs
    .filter((pair): pair is [string, string | number] => pair[1] !== null && pair[1] !== undefined)
    .map(([key, value]) => `${key}=${cefExtensionValue(String(value))}`)
    .join(' ');
  return `${header}|${extension}`;
}
