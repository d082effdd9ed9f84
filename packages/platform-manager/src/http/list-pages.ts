import { decodeCursor, encodeCursor, type Page, type PageRequest, pageLimit } from '../services/pagination.js';
import { ok, type Result } from '../services/result.js';

/**
 * Pages a list the service returns whole (policies, SIEM destinations: tens of items), so that
 * every list of the API takes `limit` and `cursor` alike. The cursor is the position in the list.
 */
export function pageOfList<T>(items: readonly T[], request: PageRequest): Result<Page<T>> {
  const limit = pageLimit(request);
  if (!limit.ok) return limit;
  let start = 0;
  if (request.cursor) {
    const position = decodeCursor(request.cursor, ['number'] as const);
    if (!position.ok) return position;
    start = Math.max(0, Math.floor(position.value[0]));
  }
  const end = start + limit.value;
  return ok({ items: items.slice(start, end), nextCursor: end < items.length ? encodeCursor([end]) : null });
}
