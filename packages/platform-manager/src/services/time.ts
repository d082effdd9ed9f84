/** Times are stored as epoch milliseconds and presented as ISO 8601 UTC strings. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Parses an ISO 8601 time from a caller; undefined when it is not one. */
export function parseTime(value: string): number | undefined {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
