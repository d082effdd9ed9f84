import {
  MAX_SNAPSHOT_ENTRIES,
  type SnapshotEntry,
  type SnapshotPage,
  type SnapshotRef,
  type SnapshotVersion,
} from '@bulwark/protocol';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import { type PageRequest, pageLimit } from './pagination.js';
import { abort, guarded, type Result } from './result.js';
import { iso } from './time.js';

/** A snapshot's entries in the order the agent sent them. */
const BY_POSITION = keyset('asc', ['position', 'number']);

/** The manager's copy of one module snapshot (e.g. the integrity baseline of one rule). */
export interface SnapshotSummary {
  readonly module: string;
  readonly name: string;
  readonly version: string;
  readonly builtAt: string | null;
  /** Entries the agent holds. */
  readonly total: number;
  /** Entries the manager holds: at most MAX_SNAPSHOT_ENTRIES, the first ones in key order. */
  readonly stored: number;
  readonly truncated: boolean;
  readonly receivedAt: string | null;
  /** Set when truncated: what the copy lacks and where the rest is. */
  readonly note: string | null;
}

export interface SnapshotEntriesPage extends SnapshotSummary {
  readonly items: SnapshotEntry[];
  readonly nextCursor: string | null;
}

const INSERT_CHUNK = 100;

function summary(row: {
  module: string;
  name: string;
  version: string | null;
  built_at: string | null;
  total: number;
  stored: number;
  received_at: number | null;
}): SnapshotSummary {
  const truncated = row.total > row.stored;
  return {
    module: row.module,
    name: row.name,
    version: row.version ?? '',
    builtAt: row.built_at,
    total: row.total,
    stored: row.stored,
    truncated,
    receivedAt: iso(row.received_at),
    note: truncated
      ? `the manager keeps the first ${row.stored} of ${row.total} entries (in key order); the agent holds them all`
      : null,
  };
}

async function dropEntries(db: Executor, computerId: string, module: string, name: string, except?: string) {
  let del = db
    .deleteFrom('module_snapshot_entries')
    .where('computer_id', '=', computerId)
    .where('module', '=', module)
    .where('name', '=', name);
  if (except !== undefined) del = del.where('version', '<>', except);
  await del.execute();
}

/** Copies of module snapshots that agents upload (agent port) and the API reads. */
export function computerSnapshotsService(ctx: ServiceContext) {
  /**
   * The agent lists every snapshot it holds; the answer names those whose version the manager
   * lacks. Copies of snapshots no longer listed (a rule unassigned) are forgotten.
   */
  async function offer(
    computerId: string,
    offered: readonly SnapshotVersion[],
  ): Promise<Result<{ wanted: SnapshotRef[] }>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const held = await trx
          .selectFrom('module_snapshots')
          .select(['module', 'name', 'version'])
          .where('computer_id', '=', computerId)
          .execute();
        const key = (s: { module: string; name: string }) => `${s.module}\u0000${s.name}`;
        const offeredKeys = new Set(offered.map(key));
        for (const gone of held.filter((h) => !offeredKeys.has(key(h)))) {
          await dropEntries(trx, computerId, gone.module, gone.name);
          await trx
            .deleteFrom('module_snapshots')
            .where('computer_id', '=', computerId)
            .where('module', '=', gone.module)
            .where('name', '=', gone.name)
            .execute();
        }
        const heldVersion = new Map(held.map((h) => [key(h), h.version]));
        const wanted: SnapshotRef[] = [];
        const now = ctx.now();
        for (const s of offered) {
          if (heldVersion.get(key(s)) === s.version) continue;
          wanted.push({ module: s.module, name: s.name });
          if (heldVersion.has(key(s))) continue;
          heldVersion.set(key(s), null);
          await trx
            .insertInto('module_snapshots')
            .values({ computer_id: computerId, module: s.module, name: s.name, total: 0, stored: 0, offered_at: now })
            .execute();
        }
        return { wanted };
      }),
    );
  }

  /** One page of an upload; the last one makes its version the copy readers see. */
  async function storePage(computerId: string, page: SnapshotPage): Promise<Result<{ stored: number }>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        if (page.offset + page.entries.length > MAX_SNAPSHOT_ENTRIES)
          abort(
            'validation',
            `a snapshot copy holds at most ${MAX_SNAPSHOT_ENTRIES} entries; send only the first ones`,
          );
        const where = { computer_id: computerId, module: page.module, name: page.name };
        let row = await trx
          .selectFrom('module_snapshots')
          .selectAll()
          .where('computer_id', '=', computerId)
          .where('module', '=', page.module)
          .where('name', '=', page.name)
          .executeTakeFirst();
        if (!row) {
          await trx
            .insertInto('module_snapshots')
            .values({ ...where, total: 0, stored: 0, offered_at: ctx.now() })
            .execute();
          row = { ...where, total: 0, stored: 0, offered_at: ctx.now() } as NonNullable<typeof row>;
        }
        if (row.version === page.version) return { stored: row.stored };
        const match = trx
          .updateTable('module_snapshots')
          .where('computer_id', '=', computerId)
          .where('module', '=', page.module)
          .where('name', '=', page.name);
        if (row.pending_version !== page.version) {
          // A new upload: whatever a previous, unfinished one left goes (the complete version stays).
          if (row.pending_version) {
            await trx
              .deleteFrom('module_snapshot_entries')
              .where('computer_id', '=', computerId)
              .where('module', '=', page.module)
              .where('name', '=', page.name)
              .where('version', '=', row.pending_version)
              .execute();
          }
          await match
            .set({ pending_version: page.version, pending_built_at: page.builtAt ?? null, pending_total: page.total })
            .execute();
        }
        for (let i = 0; i < page.entries.length; i += INSERT_CHUNK) {
          const values = page.entries.slice(i, i + INSERT_CHUNK).map((e, j) => ({
            ...where,
            version: page.version,
            position: page.offset + i + j,
            entity_key: e.key,
            key_base64: e.keyBase64 ?? null,
            value_json: JSON.stringify(e.value),
          }));
          await trx
            .insertInto('module_snapshot_entries')
            .values(values)
            .onConflict((oc) =>
              oc.columns(['computer_id', 'module', 'name', 'version', 'position']).doUpdateSet((eb) => ({
                entity_key: eb.ref('excluded.entity_key'),
                key_base64: eb.ref('excluded.key_base64'),
                value_json: eb.ref('excluded.value_json'),
              })),
            )
            .execute();
        }
        const counted = await trx
          .selectFrom('module_snapshot_entries')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('computer_id', '=', computerId)
          .where('module', '=', page.module)
          .where('name', '=', page.name)
          .where('version', '=', page.version)
          .executeTakeFirstOrThrow();
        const stored = Number(counted.n);
        if (page.final) {
          await dropEntries(trx, computerId, page.module, page.name, page.version);
          await match
            .set({
              version: page.version,
              built_at: page.builtAt ?? null,
              total: Math.max(page.total, stored),
              stored,
              received_at: ctx.now(),
              pending_version: null,
              pending_built_at: null,
              pending_total: null,
            })
            .execute();
        }
        return { stored };
      }),
    );
  }

  /** The computer's snapshot copies of one module. */
  async function list(computerId: string, module: string): Promise<Result<SnapshotSummary[]>> {
    return guarded(async () => {
      const computer = await ctx.db
        .selectFrom('computers')
        .select('id')
        .where('id', '=', computerId)
        .executeTakeFirst();
      if (!computer) abort('not-found', `computer ${computerId} not found`);
      const rows = await ctx.db
        .selectFrom('module_snapshots')
        .selectAll()
        .where('computer_id', '=', computerId)
        .where('module', '=', module)
        .where('version', 'is not', null)
        .orderBy('name')
        .execute();
      return rows.map(summary);
    });
  }

  /** One snapshot copy, a page of its entries in the agent's key order. */
  async function entries(
    computerId: string,
    module: string,
    name: string,
    page: PageRequest = {},
  ): Promise<Result<SnapshotEntriesPage>> {
    const limit = pageLimit(page);
    if (!limit.ok) return limit;
    return guarded(async () => {
      const row = await ctx.db
        .selectFrom('module_snapshots')
        .selectAll()
        .where('computer_id', '=', computerId)
        .where('module', '=', module)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!row || row.version === null)
        abort('not-found', `the manager holds no ${module} snapshot "${name}" of computer ${computerId} (yet)`);
      const select = ctx.db
        .selectFrom('module_snapshot_entries')
        .select(['position', 'entity_key', 'key_base64', 'value_json'])
        .where('computer_id', '=', computerId)
        .where('module', '=', module)
        .where('name', '=', name)
        .where('version', '=', row.version);
      const paged = keysetQuery(select, BY_POSITION, page);
      if (!paged.ok) return abort('validation', paged.error.message);
      const listed = keysetToPage(await paged.value.query.execute(), paged.value.limit, BY_POSITION, (r) => ({
        key: r.entity_key,
        ...(r.key_base64 === null ? {} : { keyBase64: r.key_base64 }),
        value: JSON.parse(r.value_json) as Record<string, unknown>,
      }));
      return { ...summary(row), ...listed };
    });
  }

  return { offer, storePage, list, entries };
}

export type ComputerSnapshotsService = ReturnType<typeof computerSnapshotsService>;
