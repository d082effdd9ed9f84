import { formatCef } from './cef-format.js';
import type { ForwardedEvent, ProductIdentity } from './forwarded-event.js';
import { formatJson } from './json-format.js';
import { formatLeef } from './leef-format.js';
import { syslogMessage } from './syslog-message.js';

export const FORWARDING_FORMATS = ['cef', 'leef', 'json'] as const;
export type ForwardingFormat = (typeof FORWARDING_FORMATS)[number];

const FORMATTERS: Readonly<Record<ForwardingFormat, (event: ForwardedEvent, identity: ProductIdentity) => string>> = {
  cef: formatCef,
  leef: formatLeef,
  json: formatJson,
};

/** The RFC 5424 message for one event in one format (unframed). */
export function eventMessage(event: ForwardedEvent, format: ForwardingFormat, identity: ProductIdentity): string {
  return syslogMessage(
    { severity: event.severity, time: event.time, hostname: event.computer.hostname, msgid: event.module },
    FORMATTERS[format](event, identity),
  );
}
