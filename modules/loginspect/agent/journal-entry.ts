/** One journal entry made ready for the engine. */
export interface JournalRecord {
  /** A syslog-style line (`<ISO time> <host> <identifier>[<pid>]: <message>`) the engine pre-decodes as usual. */
  readonly line: string;
  /** The systemd unit, the event's location; `journald` when the entry has none. */
  readonly location: string;
  readonly cursor: string;
  /** Milliseconds since the epoch, from the entry's realtime timestamp. */
  readonly time: number;
  readonly unit: string | undefined;
}

export type JournalParse =
  | { readonly ok: true; readonly record: JournalRecord | undefined; readonly cursor: string }
  | { readonly ok: false; readonly reason: string };

const MAX_FIELD_CHARS = 65_536;

/**
 * A journal field as `journalctl -o json` writes it: a string; an array of byte values when the
 * data is not printable UTF-8 (MESSAGE with color codes, binary); an array of those when the
 * field occurs more than once (the first is used); null when it was too large to be shown.
 */
export function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > MAX_FIELD_CHARS ? value.slice(0, MAX_FIELD_CHARS) : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (value.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
    const bytes = Buffer.from((value as number[]).slice(0, MAX_FIELD_CHARS * 4));
    return fieldText(bytes.toString('utf8'));
  }
  return fieldText(value[0]);
}

/** Without spaces, so the pre-decoder reads the whole token as the host or program. */
function token(text: string | undefined, fallback: string): string {
  let cleaned = '';
  for (const char of (text ?? '').slice(0, 256)) cleaned += char <= ' ' || char === '\x7f' ? '_' : char;
  return cleaned === '' ? fallback : cleaned;
}

/**
 * Parses one line of `journalctl -o json`. An entry without a message yields no record but
 * still its cursor, so the cursor moves past it.
 */
export function parseJournalLine(json: string, now: number): JournalParse {
  let entry: unknown;
  try {
    entry = JSON.parse(json);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return { ok: false, reason: 'not a JSON object' };
  const e = entry as Record<string, unknown>;
  const cursor = fieldText(e.__CURSOR);
  if (cursor === undefined || cursor === '' || cursor.length > 4096) return { ok: false, reason: 'no __CURSOR' };
  const message = fieldText(e.MESSAGE);
  if (message === undefined) return { ok: true, record: undefined, cursor };
  const micros = Number(fieldText(e.__REALTIME_TIMESTAMP));
  // Beyond what a Date holds (±8.64e15 ms) the stamp is garbage: the reader's clock is used.
  const time =
    Number.isFinite(micros) && micros > 0 && micros / 1000 <= 8.64e15 ? Math.floor(micros / 1000) : undefined;
  const unit = fieldText(e._SYSTEMD_UNIT) ?? fieldText(e._SYSTEMD_USER_UNIT);
  const program = token(fieldText(e.SYSLOG_IDENTIFIER) ?? fieldText(e._COMM), 'journal');
  const pid = fieldText(e.SYSLOG_PID) ?? fieldText(e._PID);
  const host = token(fieldText(e._HOSTNAME), 'localhost');
  const stamp = new Date(time ?? now).toISOString();
  const pidPart = pid !== undefined && /^\d{1,10}$/.test(pid) ? `[${pid}]` : '';
  const line = `${stamp} ${host} ${program}${pidPart}: ${message}`;
  return {
    ok: true,
    cursor,
    record: { line, location: unit ?? 'journald', cursor, time: time ?? now, unit },
  };
}
