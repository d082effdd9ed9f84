import type { Executor, ServiceContext } from './context.js';
import { newOrderedId } from './ids.js';
import { decodeCursor, type Page, type PageRequest, pageLimit, toPage } from './pagination.js';
import type { Result } from './result.js';
import type { Actor } from './roles.js';
import { iso } from './time.js';

export interface AuditTarget {
  readonly kind: string;
  readonly id: string | null;
}

export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly actor: { readonly kind: string; readonly id: string | null; readonly name: string };
  readonly action: string;
  readonly target: AuditTarget;
  readonly before: unknown;
  readonly after: unknown;
}

/**
 * Records one administrative change. Call it with the transaction that makes the change, so the
 * change and its record commit together. `before`/`after` must be public representations
 * (never a hash, a token or a password): callers pass the same objects the API returns.
 */
export async function recordAudit(
  db: Executor,
  now: number,
  actor: Actor,
  action: string,
  target: AuditTarget,
  before: unknown,
  after: unknown,
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newOrderedId(now),
      at: now,
      actor_kind: actor.kind,
      actor_id: actor.id,
      actor_name: actor.name,
      action,
      target_kind: target.kind,
      target_id: target.id,
      before_json: before === undefined ? null : JSON.stringify(before),
      after_json: after === undefined ? null : JSON.stringify(after),
    })
    .execute();
}

export interface AuditQuery extends PageRequest {
  readonly targetKind?: string;
  readonly targetId?: string;
}

export function auditService(ctx: ServiceContext) {
  return {
    /** Newest first. */
    async list(query: AuditQuery = {}): Promise<Result<Page<AuditEntry>>> {
      const limit = pageLimit(query);
      if (!limit.ok) return limit;
      let select = ctx.db.selectFrom('audit_log').selectAll();
      if (query.targetKind !== undefined) select = select.where('target_kind', '=', query.targetKind);
      if (query.targetId !== undefined) select = select.where('target_id', '=', query.targetId);
      if (query.cursor) {
        const position = decodeCursor(query.cursor, ['number', 'string'] as const);
        if (!position.ok) return position;
        const [at, id] = position.value;
        select = select.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', id)])]));
      }
      const rows = await select
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit.value + 1)
        .execute();
      return {
        ok: true,
        value: toPage(
          rows,
          limit.value,
          (row) => ({
            id: row.id,
            at: iso(row.at),
            actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name },
            action: row.action,
            target: { kind: row.target_kind, id: row.target_id },
            before: row.before_json === null ? null : JSON.parse(row.before_json),
            after: row.after_json === null ? null : JSON.parse(row.after_json),
          }),
          (row) => [row.at, row.id],
        ),
      };
    },
  };
}

export type AuditService = ReturnType<typeof auditService>;
