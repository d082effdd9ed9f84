import type { Severity } from '@bulwark/protocol';

/** RFC 5424 severities: critical → 2 (crit) … info → 6 (informational). */
const SYSLOG_SEVERITY: Readonly<Record<Severity, number>> = {
  critical: 2,
  high: 3,
  medium: 4,
  low: 5,
  info: 6,
};

/** local0: security products conventionally get a local facility the SIEM side can route on. */
export const DEFAULT_FACILITY = 16;

export const APP_NAME = 'bulwark';

/** RFC 5424 header fields allow PRINTUSASCII (33..126) only, with a length bound; anything else becomes `_`. */
function headerToken(value: string | null | undefined, max: number): string {
  if (value === null || value === undefined || value === '') return '-';
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    out += code >= 33 && code <= 126 ? char : '_';
    if (out.length >= max) break;
  }
  return out;
}

export function priority(severity: Severity, facility = DEFAULT_FACILITY): number {
  return facility * 8 + SYSLOG_SEVERITY[severity];
}

export interface SyslogHeaderFields {
  readonly severity: Severity;
  /** ISO 8601 UTC. */
  readonly time: string;
  readonly hostname: string | null;
  /** The module id becomes the MSGID, so a collector can route per module without parsing the body. */
  readonly msgid: string;
  readonly facility?: number;
}

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID - MSG`. The MSG is sent
 * without a BOM: CEF and LEEF parsers expect their prefix at the first byte. It must hold no
 * line break (formatters escape them), so a newline-delimited collector cannot split an event.
 */
export function syslogMessage(fields: SyslogHeaderFields, body: string): string {
  const time = Number.isNaN(Date.parse(fields.time)) ? '-' : new Date(fields.time).toISOString();
  return `<${priority(fields.severity, fields.facility)}>1 ${time} ${headerToken(fields.hostname, 255)} ${APP_NAME} - ${headerToken(fields.msgid, 32)} - ${body}`;
}

/** RFC 6587 octet counting (used on TCP and TLS): `<length in bytes> <message>`. */
export function octetCountedFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** Cuts a message to at most `maxBytes` of UTF-8 without splitting a character (UDP datagrams are bounded). */
export function clipUtf8(message: string, maxBytes: number): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= maxBytes) return message;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
