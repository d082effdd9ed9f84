import { sql } from 'kysely';
import type { AlertRow } from '../storage/schema.js';
import { recordAudit } from './audit.js';
import { saveComputer } from './computer-status.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { newOrderedId } from './ids.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import type { Page, PageRequest } from './pagination.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import type { Actor } from './roles.js';
import { iso } from './time.js';

/** The list's order: newest first. */
const NEWEST_FIRST = keyset('desc', ['raised_at', 'number'], ['id', 'string']);

export const ALERT_STATES = ['open', 'acknowledged', 'cleared'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const AlertTypes = { computerOffline: 'computer-offline', eventsLost: 'events-lost' } as const;

export interface Alert {
  readonly id: string;
  readonly type: string;
  readonly computerId: string;
  readonly state: AlertState;
  readonly message: string;
  readonly raisedAt: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly clearedAt: string | null;
  readonly clearedBy: string | null;
}

export function presentAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    type: row.type,
    computerId: row.computer_id,
    state: row.state,
    message: row.message,
    raisedAt: iso(row.raised_at),
    acknowledgedAt: iso(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    clearedAt: iso(row.cleared_at),
    clearedBy: row.cleared_by,
  };
}

/** Raises an alert unless one of this type is already open or acknowledged for the computer. */
export async function raiseAlert(
  db: Executor,
  now: number,
  type: string,
  computerId: string,
  message: string,
): Promise<AlertRow> {
  const active = () =>
    db
      .selectFrom('alerts')
      .selectAll()
      .where('type', '=', type)
      .where('computer_id', '=', computerId)
      .where('state', '<>', 'cleared')
      .executeTakeFirst();
  const existing = await active();
  if (existing) return existing;
  // The partial unique index settles a race between two manager nodes: the loser inserts nothing.
  await db
    .insertInto('alerts')
    .values({
      id: newOrderedId(now),
      type,
      computer_id: computerId,
      state: 'open',
      message,
      raised_at: now,
      acknowledged_at: null,
      acknowledged_by: null,
      cleared_at: null,
      cleared_by: null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return (await active()) as AlertRow;
}

/** Clears the computer's active alerts of a type (the condition went away); returns how many. */
export async function clearAlerts(
  db: Executor,
  now: number,
  type: string,
  computerId: string,
  by: string,
): Promise<number> {
  const result = await db
    .updateTable('alerts')
    .set({ state: 'cleared', cleared_at: now, cleared_by: by })
    .where('type', '=', type)
    .where('computer_id', '=', computerId)
    .where('state', '<>', 'cleared')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export function alertsService(ctx: ServiceContext) {
  async function raise(type: string, computerId: string, message: string): Promise<Alert> {
    return presentAlert(await raiseAlert(ctx.db, ctx.now(), type, computerId, message));
  }

  async function list(query: PageRequest & { state?: AlertState } = {}): Promise<Result<Page<Alert>>> {
    if (query.state !== undefined && !ALERT_STATES.includes(query.state)) {
      return fail('validation', 'state must be open, acknowledged or cleared');
    }
    let select = ctx.db.selectFrom('alerts').selectAll();
    if (query.state !== undefined) select = select.where('state', '=', query.state);
    const paged = keysetQuery(select, NEWEST_FIRST, query);
    if (!paged.ok) return paged;
    return ok(keysetToPage(await paged.value.query.execute(), paged.value.limit, NEWEST_FIRST, presentAlert));
  }

  async function transition(id: string, actor: Actor, to: 'acknowledged' | 'cleared'): Promise<Result<Alert>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await trx.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return abort('not-found', `alert ${id} not found`);
        if (row.state === 'cleared') {
          return to === 'cleared' ? presentAlert(row) : abort('conflict', 'alert is already cleared');
        }
        if (row.state === to) return presentAlert(row);
        const now = ctx.now();
        const next: AlertRow =
          to === 'acknowledged'
            ? { ...row, state: to, acknowledged_at: now, acknowledged_by: actor.name }
            : { ...row, state: to, cleared_at: now, cleared_by: actor.name };
        await trx
          .updateTable('alerts')
          .set({
            state: next.state,
            acknowledged_at: next.acknowledged_at,
            acknowledged_by: next.acknowledged_by,
            cleared_at: next.cleared_at,
            cleared_by: next.cleared_by,
          })
          .where('id', '=', id)
          .execute();
        await recordAudit(
          trx,
          now,
          actor,
          to === 'acknowledged' ? 'alert.acknowledge' : 'alert.clear',
          { kind: 'alert', id },
          presentAlert(row),
          presentAlert(next),
        );
        return presentAlert(next);
      }),
    );
  }

  /**
   * Marks computers offline whose last heartbeat (or activation, if none yet) is older than their
   * heartbeat interval × missed heartbeats allowed, and raises an alert for each. Returns their ids.
   */
  async function checkOffline(now: Date = new Date(ctx.now())): Promise<string[]> {
    const at = now.getTime();
    const overdue = await ctx.db
      .selectFrom('computers')
      .selectAll()
      .where('deactivated_at', 'is', null)
      .where('offline_since', 'is', null)
      .where(
        sql<boolean>`coalesce(last_heartbeat_at, activated_at) + cast(heartbeat_interval_seconds as bigint) * missed_heartbeats_before_offline * 1000 < ${at}`,
      )
      .execute();
    const marked: string[] = [];
    for (const computer of overdue) {
      await inTransaction(ctx.db, async (trx) => {
        const taken = await trx
          .updateTable('computers')
          .set({ offline_since: at })
          .where('id', '=', computer.id)
          .where('offline_since', 'is', null)
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) !== 1) return;
        await saveComputer(trx, computer, { offline_since: at });
        const last =
          computer.last_heartbeat_at === null
            ? 'never sent a heartbeat'
            : `last heartbeat ${iso(computer.last_heartbeat_at)}`;
        await raiseAlert(
          trx,
          at,
          AlertTypes.computerOffline,
          computer.id,
          `${computer.name} is offline: missed ${computer.missed_heartbeats_before_offline} heartbeats (${last})`,
        );
        marked.push(computer.id);
      });
    }
    return marked;
  }

  return {
    raise,
    list,
    acknowledge: (id: string, actor: Actor) => transition(id, actor, 'acknowledged'),
    clear: (id: string, actor: Actor) => transition(id, actor, 'cleared'),
    checkOffline,
  };
}

export type AlertsService = ReturnType<typeof alertsService>;
