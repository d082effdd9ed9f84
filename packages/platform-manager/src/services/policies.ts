import type { PolicyRow } from '../storage/schema.js';
import { recordAudit } from './audit.js';
import { type ConfigurationService, serialiseConfigurationChanges } from './configuration.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { newId } from './ids.js';
import { loadPolicies, policyChain, withDescendants } from './policy-tree.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import type { Actor } from './roles.js';
import { describeProblems, problemIssuesAt, refuseNewProblems } from './rules-check.js';
import { iso } from './time.js';

export interface Policy {
  readonly id: string;
  readonly name: string;
  readonly parentId: string | null;
  readonly description: string;
  readonly createdAt: string;
}

export interface PolicyNode extends Policy {
  readonly children: PolicyNode[];
}

export function presentPolicy(row: PolicyRow): Policy {
  return {
    id: row.id,
    name: row.name,
    parentId: row.parent_id,
    description: row.description,
    createdAt: iso(row.created_at),
  };
}

function checkName(name: unknown): string | null {
  if (typeof name !== 'string' || name.trim().length < 1 || name.length > 128) {
    return 'policy name must be 1 to 128 characters';
  }
  return null;
}

function checkDescription(description: unknown): string | null {
  return typeof description === 'string' && description.length <= 4096
    ? null
    : 'policy description must be a string of at most 4096 characters';
}

async function siblingNamed(db: Executor, parentId: string | null, name: string, exceptId?: string) {
  let query = db.selectFrom('policies').select('id').where('name', '=', name);
  query = parentId === null ? query.where('parent_id', 'is', null) : query.where('parent_id', '=', parentId);
  if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
  return query.executeTakeFirst();
}

async function findPolicy(db: Executor, id: string): Promise<PolicyRow> {
  const row = await db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
  return row ?? abort('not-found', `policy ${id} not found`);
}

export function policiesService(ctx: ServiceContext, configuration: ConfigurationService) {
  async function create(
    input: { name: string; parentId?: string | null; description?: string },
    actor: Actor,
  ): Promise<Result<Policy>> {
    const problem = checkName(input.name) ?? checkDescription(input.description ?? '');
    if (problem) return fail('validation', problem);
    const name = input.name.trim();
    const parentId = input.parentId ?? null;
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        if (parentId !== null) {
          const parent = await trx.selectFrom('policies').select('id').where('id', '=', parentId).executeTakeFirst();
          if (!parent) abort('not-found', `parent policy ${parentId} not found`);
        }
        if (await siblingNamed(trx, parentId, name)) abort('conflict', `a policy named ${name} already exists there`);
        const now = ctx.now();
        const row: PolicyRow = {
          id: newId(),
          name,
          parent_id: parentId,
          description: input.description ?? '',
          created_at: now,
        };
        await trx.insertInto('policies').values(row).execute();
        const policy = presentPolicy(row);
        await recordAudit(trx, now, actor, 'policy.create', { kind: 'policy', id: row.id }, null, policy);
        return policy;
      }),
    );
  }

  async function get(id: string): Promise<Result<Policy>> {
    return guarded(async () => presentPolicy(await findPolicy(ctx.db, id)));
  }

  async function list(): Promise<Result<Policy[]>> {
    const rows = await ctx.db.selectFrom('policies').selectAll().orderBy('name').orderBy('id').execute();
    return ok(rows.map(presentPolicy));
  }

  async function tree(): Promise<Result<PolicyNode[]>> {
    const all = await list();
    if (!all.ok) return all;
    const nodes = new Map<string, PolicyNode>(all.value.map((p) => [p.id, { ...p, children: [] }]));
    const roots: PolicyNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parentId === null ? undefined : nodes.get(node.parentId);
      (parent ? parent.children : roots).push(node);
    }
    return ok(roots);
  }

  async function chain(id: string): Promise<Result<Policy[]>> {
    const policies = await loadPolicies(ctx.db);
    if (!policies.has(id)) return fail('not-found', `policy ${id} not found`);
    return ok(policyChain(policies, id).map(presentPolicy));
  }

  async function update(
    id: string,
    changes: { name?: string; description?: string },
    actor: Actor,
  ): Promise<Result<Policy>> {
    const problem =
      (changes.name !== undefined ? checkName(changes.name) : null) ??
      (changes.description !== undefined ? checkDescription(changes.description) : null);
    if (problem) return fail('validation', problem);
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await findPolicy(trx, id);
        const next: PolicyRow = {
          ...row,
          name: changes.name?.trim() ?? row.name,
          description: changes.description ?? row.description,
        };
        if (next.name !== row.name && (await siblingNamed(trx, row.parent_id, next.name, id))) {
          abort('conflict', `a policy named ${next.name} already exists there`);
        }
        await trx
          .updateTable('policies')
          .set({ name: next.name, description: next.description })
          .where('id', '=', id)
          .execute();
        await recordAudit(
          trx,
          ctx.now(),
          actor,
          'policy.update',
          { kind: 'policy', id },
          presentPolicy(row),
          presentPolicy(next),
        );
        return presentPolicy(next);
      }),
    );
  }

  async function move(
    id: string,
    parentId: string | null,
    actor: Actor,
  ): Promise<Result<{ policy: Policy; changedComputerIds: string[] }>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const policies = await loadPolicies(trx);
        const row = policies.get(id) ?? abort('not-found', `policy ${id} not found`);
        if (parentId !== null) {
          if (!policies.has(parentId)) abort('not-found', `parent policy ${parentId} not found`);
          if (withDescendants(policies, [id]).has(parentId)) {
            abort('conflict', `cannot move policy ${row.name} under itself or one of its own descendants`);
          }
        }
        if (row.parent_id === parentId) return { policy: presentPolicy(row), changedComputerIds: [] };
        if (await siblingNamed(trx, parentId, row.name, id)) {
          abort('conflict', `a policy named ${row.name} already exists under the new parent`);
        }
        // Under a new parent the policy inherits other settings (firewall lists, …): refuse a move
        // that would leave rules in force there unenforceable, naming them.
        await refuseNewProblems(
          trx,
          ctx,
          ctx.modules,
          [{ kind: 'policy', id }],
          {},
          () => trx.updateTable('policies').set({ parent_id: parentId }).where('id', '=', id).execute(),
          (problems) =>
            abort(
              'conflict',
              `moving policy ${row.name} would leave rules in force unenforceable, so it was not moved: ${describeProblems(problems)}`,
              problemIssuesAt(problems, '/parentId'),
            ),
        );
        const next = { ...row, parent_id: parentId };
        await recordAudit(
          trx,
          ctx.now(),
          actor,
          'policy.move',
          { kind: 'policy', id },
          presentPolicy(row),
          presentPolicy(next),
        );
        const changedComputerIds = await configuration.recompute({ policyIds: [id] }, trx);
        return { policy: presentPolicy(next), changedComputerIds };
      }),
    );
  }

  /**
   * Deletes a policy. With children or computers it refuses unless `force`: then they move up to
   * the deleted policy's parent (and activation tokens that pre-assign it do too).
   */
  async function remove(
    id: string,
    options: { force?: boolean },
    actor: Actor,
  ): Promise<Result<{ changedComputerIds: string[] }>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const policies = await loadPolicies(trx);
        const row = policies.get(id) ?? abort('not-found', `policy ${id} not found`);
        const children = [...policies.values()].filter((p) => p.parent_id === id);
        const computers = await trx.selectFrom('computers').select('id').where('policy_id', '=', id).execute();
        if ((children.length > 0 || computers.length > 0) && !options.force) {
          abort(
            'conflict',
            `policy ${row.name} has ${children.length} child policies and ${computers.length} computers; ` +
              'move them first or delete with force to move them to its parent',
          );
        }
        for (const child of children) {
          if (await siblingNamed(trx, row.parent_id, child.name, child.id)) {
            abort(
              'conflict',
              `cannot move child policy ${child.name} up: its new parent already has a policy of that name`,
            );
          }
        }
        const subtree = withDescendants(policies, [id]);
        const affected = await trx
          .selectFrom('computers')
          .select('id')
          .where('policy_id', 'in', [...subtree])
          .execute();
        const moveUpAndDelete = async () => {
          await trx.updateTable('policies').set({ parent_id: row.parent_id }).where('parent_id', '=', id).execute();
          await trx.updateTable('computers').set({ policy_id: row.parent_id }).where('policy_id', '=', id).execute();
          await trx
            .updateTable('activation_tokens')
            .set({ policy_id: row.parent_id })
            .where('policy_id', '=', id)
            .execute();
          await trx.deleteFrom('settings').where('target_kind', '=', 'policy').where('target_id', '=', id).execute();
          await trx
            .deleteFrom('rule_assignments')
            .where('target_kind', '=', 'policy')
            .where('target_id', '=', id)
            .execute();
          await trx
            .deleteFrom('rule_overrides')
            .where('target_kind', '=', 'policy')
            .where('target_id', '=', id)
            .execute();
          await trx.deleteFrom('policies').where('id', '=', id).execute();
        };
        // What moves up loses the deleted policy's settings (firewall lists, …) and assignments:
        // refuse when rules still in force on a child policy, below it, or on a computer that moves
        // would become unenforceable, naming them. The children and computers stay, so they are
        // the levels to compare before and after.
        const movers = [
          ...children.map((c) => ({ kind: 'policy' as const, id: c.id })),
          ...computers.map((c) => ({ kind: 'computer' as const, id: c.id })),
        ];
        await refuseNewProblems(trx, ctx, ctx.modules, movers, {}, moveUpAndDelete, (problems) =>
          abort(
            'conflict',
            `deleting policy ${row.name} would leave rules in force on what moves up to ` +
              `${row.parent_id === null ? 'the top level' : `policy ${policies.get(row.parent_id)?.name}`} ` +
              `unenforceable, so nothing was deleted: ${describeProblems(problems)}. ` +
              'Change or unassign those rules, or add what they refer to in the parent, first',
            problemIssuesAt(problems, '/'),
          ),
        );
        await recordAudit(trx, ctx.now(), actor, 'policy.delete', { kind: 'policy', id }, presentPolicy(row), {
          movedPolicies: children.map((c) => c.id),
          movedComputers: computers.map((c) => c.id),
          newParentId: row.parent_id,
        });
        const changedComputerIds = await configuration.recompute({ computerIds: affected.map((c) => c.id) }, trx);
        return { changedComputerIds };
      }),
    );
  }

  return { create, get, list, tree, chain, update, move, delete: remove };
}

export type PoliciesService = ReturnType<typeof policiesService>;
