import { type SelectQueryBuilder, sql } from 'kysely';
import { decodeCursor, type Page, type PageRequest, pageLimit, toPage } from './pagination.js';
import { ok, type Result } from './result.js';

/** One column of a list's order, with the type its cursor carries. */
export interface KeyColumn {
  readonly column: string;
  readonly type: 'string' | 'number';
}

/**
 * The order of a paged list: its columns, most significant first, the last one unique (an id),
 * all in one direction. Newest first lists are `desc` on (time, id); named lists `asc` on (name, id).
 */
export interface Keyset {
  readonly direction: 'asc' | 'desc';
  readonly columns: readonly [KeyColumn, ...KeyColumn[]];
}

/** `columns` each `[name, type]`. */
export function keyset(
  direction: Keyset['direction'],
  ...columns: readonly [readonly [string, KeyColumn['type']], ...(readonly [string, KeyColumn['type']])[]]
): Keyset {
  const [first, ...rest] = columns.map(([column, type]) => ({ column, type }));
  return { direction, columns: [first!, ...rest] };
}

/** Where a row stands in a list's order: its values of the keyset's columns. */
export type KeysetPosition = readonly (string | number)[];

export function positionOf(row: unknown, order: Keyset): KeysetPosition {
  return order.columns.map((key) => (row as Record<string, string | number>)[key.column] as string | number);
}

/**
 * Puts a query in the keyset's order, past `after` when given: rows strictly beyond
 * (v1, v2, …) in the list's direction, i.e. c1 beyond v1, or c1 = v1 and c2 beyond v2, and so on.
 */
export function inKeysetOrder<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  order: Keyset,
  after?: KeysetPosition,
): SelectQueryBuilder<DB, TB, O> {
  let ordered = query;
  if (after !== undefined) {
    const beyond = order.direction === 'desc' ? '<' : '>';
    ordered = ordered.where((eb) =>
      eb.or(
        order.columns.map((key, i) =>
          eb.and([
            ...order.columns.slice(0, i).map((before, j) => eb(sql.ref(before.column), '=', after[j])),
            eb(sql.ref(key.column), beyond, after[i]),
          ]),
        ),
      ),
    );
  }
  for (const key of order.columns) ordered = ordered.orderBy(sql.ref(key.column), order.direction);
  return ordered;
}

/**
 * A page of a list query: in its keyset order, after the cursor's position, `limit + 1` rows so
 * that `keysetToPage` knows whether a next page exists. A cursor that is not one of this list's
 * (malformed, another list's, tampered with) is a validation failure (400) saying to start again.
 */
export function keysetQuery<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  order: Keyset,
  request: PageRequest | undefined,
): Result<{ readonly query: SelectQueryBuilder<DB, TB, O>; readonly limit: number }> {
  const limit = pageLimit(request);
  if (!limit.ok) return limit;
  let after: KeysetPosition | undefined;
  if (request?.cursor) {
    const position = decodeCursor(
      request.cursor,
      order.columns.map((c) => c.type),
    );
    if (!position.ok) return position;
    after = position.value;
  }
  return ok({ query: inKeysetOrder(query, order, after).limit(limit.value + 1), limit: limit.value });
}

/** The rows of a `keysetQuery` as a page, its cursor the keyset position of its last row. */
export function keysetToPage<R, T>(rows: readonly R[], limit: number, order: Keyset, present: (row: R) => T): Page<T> {
  return toPage(rows, limit, present, (row) => positionOf(row, order));
}
