/** What a parser could read, and how many lines (or records) it had to skip as unreadable. */
export interface Parsed<T> {
  readonly value: T;
  readonly skipped: number;
}

/** Splits on any line ending and caps length so a hostile file cannot make one line huge. */
export function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Keeps strings within the inventory schema's limits. */
export function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}
