import type { Executor, ServiceContext } from './context.js';
import { newOrderedId } from './ids.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import type { Page, PageRequest } from './pagination.js';
import type { Result } from './result.js';
import type { Actor } from './roles.js';
import { iso } from './time.js';

/** The log's order: newest first. */
const NEWEST_FIRST = keyset('desc', ['at', 'number'], ['id', 'string']);

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
      let select = ctx.db.selectFrom('audit_log').selectAll();
      if (query.targetKind !== undefined) select = select.where('target_kind', '=', query.targetKind);
      if (query.targetId !== undefined) select = select.where('target_id', '=', query.targetId);
      const paged = keysetQuery(select, NEWEST_FIRST, query);
      if (!paged.ok) return paged;
      return {
        ok: true,
        value: keysetToPage(await paged.value.query.execute(), paged.value.limit, NEWEST_FIRST, (row) => ({
          id: row.id,
          at: iso(row.at),
          actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name },
          action: row.action,
          target: { kind: row.target_kind, id: row.target_id },
          before: row.before_json === null ? null : JSON.parse(row.before_json),
          after: row.after_json === null ? null : JSON.parse(row.after_json),
        })),
      };
    },
  };
}

export type AuditService = ReturnType<typeof auditService>;
