/** An event as the export writes it; the service's StoredEvent has these fields. */
export interface ExportedEvent {
  readonly id: string;
  readonly computerId: string;
  readonly seq: number;
  readonly time: string;
  readonly receivedAt: string;
  readonly module: string;
  readonly type: string;
  readonly severity: string;
  readonly ruleId: string | null;
  readonly action: string | null;
  readonly summary: string;
  readonly details: unknown;
}

const CSV_COLUMNS = [
  'time',
  'computerId',
  'module',
  'type',
  'severity',
  'ruleId',
  'action',
  'summary',
  'details',
  'seq',
  'receivedAt',
  'id',
] as const;

/**
 * One RFC 4180 cell. Cells a spreadsheet would run as a formula (=, +, -, @, tab, CR) get a
 * leading apostrophe: event text comes from monitored hosts and may be hostile.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function* eventsAsCsv(events: AsyncIterable<ExportedEvent>): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const event of events) {
    yield `${CSV_COLUMNS.map((column) => csvCell(event[column])).join(',')}\r\n`;
  }
}

export async function* eventsAsJson(events: AsyncIterable<ExportedEvent>): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const event of events) {
    yield `${first ? '' : ','}\n${JSON.stringify(event)}`;
    first = false;
  }
  yield '\n]\n';
}
