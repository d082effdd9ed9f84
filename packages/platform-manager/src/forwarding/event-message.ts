import type { SiemField } from '@bulwark/protocol';
import { formatCef } from './cef-format.js';
import type { ForwardedEvent, ProductIdentity } from './forwarded-event.js';
import { formatJson } from './json-format.js';
import { formatLeef } from './leef-format.js';
import type { SiemFieldSource } from './siem-field-source.js';
import { syslogMessage } from './syslog-message.js';

export const FORWARDING_FORMATS = ['cef', 'leef', 'json'] as const;
export type ForwardingFormat = (typeof FORWARDING_FORMATS)[number];

type Formatter = (event: ForwardedEvent, identity: ProductIdentity, fields: readonly SiemField[]) => string;

const FORMATTERS: Readonly<Record<ForwardingFormat, Formatter>> = {
  cef: formatCef,
  leef: formatLeef,
  // JSON carries `details` as it is: no field needs lifting out of it.
  json: (event, identity) => formatJson(event, identity),
};

/** The RFC 5424 message for one event in one format (unframed). */
export function eventMessage(
  event: ForwardedEvent,
  format: ForwardingFormat,
  identity: ProductIdentity,
  siemFields: SiemFieldSource,
): string {
  return syslogMessage(
    { severity: event.severity, time: event.time, hostname: event.computer.hostname, msgid: event.module },
    FORMATTERS[format](event, identity, format === 'json' ? [] : siemFields(event)),
  );
}
