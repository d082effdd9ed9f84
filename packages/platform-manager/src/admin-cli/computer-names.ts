import { candidateList, isRow, isUuid, listAll, type Row } from './api-calls.js';
import { type CliResult, ExitCode, fail, ok, usageError } from './cli-error.js';
import type { ManagerClient } from './manager-client.js';

function describeComputer(c: Row): string {
  const host = c.hostname !== c.name && typeof c.hostname === 'string' ? `, host ${c.hostname}` : '';
  return `${String(c.name ?? c.hostname)}${host}, ${String(c.status ?? '-')}`;
}

/**
 * A computer given by id or by name (its display name, else its hostname, compared exactly).
 * Deactivated computers count only when nothing else matches: an old entry of a host that was
 * activated again must not make its name ambiguous.
 */
export async function resolveComputerId(client: ManagerClient, text: string): Promise<CliResult<string>> {
  if (isUuid(text)) return ok(text.toLowerCase());
  if (text.trim() === '') return usageError('a computer id or name is empty');
  const found = await listAll(client, '/api/computers', { q: text }, 10_000);
  if (!found.ok) return found;
  const byName = found.value.items.filter((c) => c.name === text);
  const matches = byName.length > 0 ? byName : found.value.items.filter((c) => c.hostname === text);
  const live = matches.filter((c) => c.status !== 'deactivated');
  const chosen = live.length > 0 ? live : matches;
  if (chosen.length === 1 && typeof chosen[0]!.id === 'string') return ok(chosen[0]!.id);
  if (chosen.length > 1) {
    return usageError(
      `${chosen.length} computers are named "${text}": give the id`,
      candidateList(chosen, describeComputer),
    );
  }
  return fail(ExitCode.notFound, `no computer with id or name "${text}"`, 'List them with: bulwark computers list');
}

/** `/api/computers/<id>` for a computer given by id or name. */
export async function computerPath(client: ManagerClient, text: string): Promise<CliResult<string>> {
  const id = await resolveComputerId(client, text);
  return id.ok ? ok(`/api/computers/${encodeURIComponent(id.value)}`) : id;
}

/**
 * Computer id → name for the computers a list shows (events, alerts). Asks for each computer on
 * its own: a page of events names a few computers, a fleet has thousands. A computer the caller
 * cannot read keeps its id.
 */
export async function computerNamesOf(client: ManagerClient, ids: Iterable<unknown>): Promise<Map<string, string>> {
  const wanted = [...new Set([...ids].filter((id): id is string => typeof id === 'string' && isUuid(id)))];
  const names = new Map<string, string>();
  const LIMIT = 8;
  for (let i = 0; i < wanted.length; i += LIMIT) {
    await Promise.all(
      wanted.slice(i, i + LIMIT).map(async (id) => {
        const answer = await client.request('GET', `/api/computers/${encodeURIComponent(id)}`);
        if (answer.ok && isRow(answer.value.body)) {
          const c = answer.value.body;
          const name = c.name ?? c.hostname;
          if (typeof name === 'string') names.set(id, name);
        }
      }),
    );
  }
  return names;
}
