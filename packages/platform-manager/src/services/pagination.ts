import { fail, ok, type Result } from './result.js';

export interface PageRequest {
  /** 1..500, default 50. */
  readonly limit?: number;
  readonly cursor?: string | null;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;

export function pageLimit(request: PageRequest | undefined): Result<number> {
  const limit = request?.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    return fail('validation', `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  }
  return ok(limit);
}

/**
 * Cursors are opaque to clients: base64url of the keyset position of the last item returned.
 * Each list has its own key shape; `decodeCursor` checks it so a cursor from another list fails cleanly.
 */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string,
  shape: T,
): Result<{ [K in keyof T]: T[K] extends 'number' ? number : string }> {
  const invalid = fail<never>('validation', 'cursor is not valid here; start again without a cursor');
  if (cursor.length > 1024 || !/^[A-Za-z0-9_-]*$/.test(cursor)) return invalid;
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return invalid;
  }
  if (!Array.isArray(position) || position.length !== shape.length) return invalid;
  for (let i = 0; i < shape.length; i++) {
    const value = position[i];
    if (shape[i] === 'number' ? !Number.isFinite(value) : typeof value !== 'string') return invalid;
  }
  return ok(position as never);
}

/** Cuts the `limit + 1` rows a query fetched to a page, with the cursor of its last item. */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  present: (row: R) => T,
  position: (row: R) => readonly (string | number)[],
): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(present), nextCursor: more && last !== undefined ? encodeCursor(position(last)) : null };
}
