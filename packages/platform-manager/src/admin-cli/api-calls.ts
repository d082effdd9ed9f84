import { type CliResult, ExitCode, fail, ok, usageError } from './cli-error.js';
import type { ManagerClient, Query } from './manager-client.js';

export type Row = Readonly<Record<string, unknown>>;

const PAGE_SIZE = 500;
/** A guard against a server that keeps answering a cursor: never more pages than this. */
const MAX_PAGES = 1000;

/** Items of a list answer (`{ items, nextCursor }`, or a bare array from older routes). */
export function itemsOf(body: unknown): Row[] {
  if (Array.isArray(body)) return body.filter(isRow);
  if (isRow(body) && Array.isArray(body.items)) return body.items.filter(isRow);
  return [];
}

export function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows `nextCursor` until `max` items or the end of the list. */
export async function listAll(
  client: ManagerClient,
  path: string,
  query: Query,
  max: number,
): Promise<CliResult<{ items: Row[]; nextCursor: string | null }>> {
  const items: Row[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES && items.length < max; page++) {
    const limit = Math.min(PAGE_SIZE, max - items.length);
    const answer = await client.request('GET', path, { query: { ...query, limit, cursor } });
    if (!answer.ok) return answer;
    items.push(...itemsOf(answer.value.body));
    const body = answer.value.body;
    cursor = isRow(body) && typeof body.nextCursor === 'string' && body.nextCursor !== '' ? body.nextCursor : null;
    if (cursor === null) break;
  }
  return ok({ items: items.slice(0, max), nextCursor: cursor });
}

/** All policies: their route answers the whole (small) tree in one page and takes no paging options. */
export async function listPolicies(client: ManagerClient): Promise<CliResult<Row[]>> {
  const answer = await client.request('GET', '/api/policies');
  return answer.ok ? ok(itemsOf(answer.value.body)) : answer;
}

export function rowOf(body: unknown, what: string): CliResult<Row> {
  return isRow(body) ? ok(body) : fail(ExitCode.failure, `the manager answered ${what} with an unexpected body`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** Path segment for an id typed by the user: refused early if it cannot be an id at all. */
export function idSegment(text: string, what: string): CliResult<string> {
  if (!isUuid(text)) return usageError(`${what} must be an id (a UUID), got "${text}"`);
  return ok(encodeURIComponent(text.toLowerCase()));
}

/**
 * A policy given by id or by exact name (names are easier to type); `none` means no policy
 * where `allowNone` is set.
 */
export async function resolvePolicyId(
  client: ManagerClient,
  text: string,
  allowNone: boolean,
): Promise<CliResult<string | null>> {
  if (allowNone && text.toLowerCase() === 'none') return ok(null);
  if (isUuid(text)) return ok(text.toLowerCase());
  const all = await listPolicies(client);
  if (!all.ok) return all;
  const matches = all.value.filter((p) => p.name === text);
  if (matches.length === 1 && typeof matches[0]!.id === 'string') return ok(matches[0]!.id);
  if (matches.length > 1) {
    const names = new Map(all.value.map((p) => [p.id, String(p.name)]));
    const parentOf = (p: Row) =>
      typeof p.parentId === 'string' ? `under ${names.get(p.parentId) ?? p.parentId}` : 'top level';
    return usageError(
      `${matches.length} policies are named "${text}": give the id`,
      candidateList(matches, (p) => `${String(p.name)}, ${parentOf(p)}`),
    );
  }
  return fail(ExitCode.notFound, `no policy with id or name "${text}"`, 'List them with: bulwark policies list');
}

/** How many candidates an ambiguous name lists before "…". */
const MAX_CANDIDATES = 10;

/** `  id  description` lines for an error that asks the user to pick one of several matches. */
export function candidateList(rows: readonly Row[], describe: (row: Row) => string): string {
  const lines = rows.slice(0, MAX_CANDIDATES).map((r) => `  ${String(r.id)}  ${describe(r)}`);
  if (rows.length > MAX_CANDIDATES) lines.push(`  … and ${rows.length - MAX_CANDIDATES} more`);
  return lines.join('\n');
}

/** Policy id → name, for tables that show a policy; empty when the caller may not read policies. */
export async function policyNames(client: ManagerClient): Promise<Map<string, string>> {
  const all = await listPolicies(client);
  const names = new Map<string, string>();
  if (all.ok) for (const p of all.value) if (typeof p.id === 'string') names.set(p.id, String(p.name ?? p.id));
  return names;
}

export function parsePositiveInteger(
  text: string | undefined,
  what: string,
  max: number,
): CliResult<number | undefined> {
  if (text === undefined) return ok(undefined);
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    return usageError(`${what} must be a whole number from 1 to ${max}, got "${text}"`);
  }
  return ok(Number(text));
}
