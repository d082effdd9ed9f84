/** One column of a human table: a header and how to read the cell from a row. */
export interface Column<Row> {
  readonly header: string;
  readonly cell: (row: Row) => unknown;
}

const MAX_CELL = 80;

/**
 * Left-aligned columns separated by two spaces, header first. Cells are flattened to one line
 * and clipped, so one long summary cannot wreck the layout. No trailing spaces.
 */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((column) => cellText(column.cell(row))));
  const headers = columns.map((c) => c.header.toUpperCase());
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((r) => displayWidth(r[i]!))));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value + ' '.repeat(widths[i]! - displayWidth(value))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** `key: value` lines for one object, keys aligned. */
export function formatFields(fields: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...fields.map(([key]) => key.length));
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${cellText(value, 1000)}`.trimEnd()).join('\n');
}

export function cellText(value: unknown, max = MAX_CELL): string {
  let text: string;
  if (value === undefined || value === null) text = '-';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else text = JSON.stringify(value) ?? '-';
  // Control characters from the server must not move the cursor or recolour the terminal.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  text = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return [...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text;
}

function displayWidth(text: string): number {
  return [...text].length;
}

/** `2026-11-23T10:57:27.123Z` → `2026-11-23 10:57:27Z`; anything else as it is. */
export function formatTime(value: unknown): string {
  if (typeof value !== 'string') return '-';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(value);
  return match ? `${match[1]} ${match[2]}Z` : value;
}
