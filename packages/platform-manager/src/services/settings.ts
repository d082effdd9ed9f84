import { recordAudit } from './audit.js';
import type { ConfigurationService } from './configuration.js';
import { layersFor, loadOverrides, serialiseConfigurationChanges, storedValueFits } from './configuration.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { loadPolicies } from './policy-tree.js';
import { abort, fail, guarded, type Result } from './result.js';
import type { Actor } from './roles.js';
import { describeProblems, refuseNewProblems } from './rules-check.js';
import { type EffectiveSetting, resolveSettings } from './settings-resolver.js';

export interface SettingTarget {
  readonly kind: 'policy' | 'computer';
  readonly id: string;
}

async function targetName(db: Executor, target: SettingTarget): Promise<{ name: string; policyId: string | null }> {
  if (target.kind === 'policy') {
    const row = await db
      .selectFrom('policies')
      .select(['name', 'parent_id'])
      .where('id', '=', target.id)
      .executeTakeFirst();
    return row ? { name: row.name, policyId: row.parent_id } : abort('not-found', `policy ${target.id} not found`);
  }
  if (target.kind === 'computer') {
    const row = await db
      .selectFrom('computers')
      .select(['name', 'policy_id'])
      .where('id', '=', target.id)
      .executeTakeFirst();
    return row ? { name: row.name, policyId: row.policy_id } : abort('not-found', `computer ${target.id} not found`);
  }
  return abort('validation', 'settings target must be a policy or a computer');
}

export function settingsService(ctx: ServiceContext, configuration: ConfigurationService) {
  /** Every setting of the target, with its value, whether the target sets it, and where it comes from. */
  async function effective(target: SettingTarget): Promise<Result<EffectiveSetting[]>> {
    return guarded(async () => {
      const { name } = await targetName(ctx.db, target);
      const policies = await loadPolicies(ctx.db);
      const policyOverrides = await loadOverrides(ctx.db, 'policy');
      let layers: ReturnType<typeof layersFor>;
      if (target.kind === 'policy') {
        layers = layersFor(policies, policyOverrides, target.id);
      } else {
        const computer = await ctx.db
          .selectFrom('computers')
          .select('policy_id')
          .where('id', '=', target.id)
          .executeTakeFirstOrThrow();
        const own = await loadOverrides(ctx.db, 'computer', [target.id]);
        layers = layersFor(policies, policyOverrides, computer.policy_id, {
          id: target.id,
          name,
          overrides: own.get(target.id) ?? new Map(),
        });
      }
      return resolveSettings(ctx.catalog.definitions, layers, storedValueFits);
    });
  }

  function affectedBy(target: SettingTarget) {
    return target.kind === 'policy' ? { policyIds: [target.id] } : { computerIds: [target.id] };
  }

  /**
   * Runs a change of `key` and refuses it (409, nothing stored) when rules of the key's module in
   * force at the target or below would stop being enforceable, e.g. a firewall list that an
   * assigned rule refers to is removed. The message names the rules and where they are assigned.
   */
  function keepingRulesEnforceable<T>(
    trx: Executor,
    target: SettingTarget,
    key: string,
    issuePath: string,
    change: () => Promise<T>,
  ): Promise<T> {
    const moduleId = ctx.catalog.get(key)?.module;
    const module = ctx.modules.find((m) => m.id === moduleId);
    if (!module) return change();
    return refuseNewProblems(trx, ctx, module, [target], {}, change, (problems) =>
      abort(
        'conflict',
        `${key}: the change would leave rules in force unenforceable, so nothing was changed: ` +
          `${describeProblems(problems)}. Change or unassign those rules first`,
        problems.map((p) => ({
          path: issuePath,
          message: `${p.ruleId} at ${p.level.kind} ${p.level.name}: ${p.issue.path} ${p.issue.message}`,
        })),
      ),
    );
  }

  async function set(
    target: SettingTarget,
    key: string,
    value: unknown,
    actor: Actor,
  ): Promise<Result<{ changedComputerIds: string[] }>> {
    const checked = ctx.catalog.check(key, value);
    if (!checked.ok) return fail('validation', checked.message, checked.issues);
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        await targetName(trx, target);
        const before = await trx
          .selectFrom('settings')
          .select('value_json')
          .where('target_kind', '=', target.kind)
          .where('target_id', '=', target.id)
          .where('key', '=', key)
          .executeTakeFirst();
        const now = ctx.now();
        const valueJson = JSON.stringify(value);
        await keepingRulesEnforceable(trx, target, key, '/value', () =>
          trx
            .insertInto('settings')
            .values({ target_kind: target.kind, target_id: target.id, key, value_json: valueJson, updated_at: now })
            .onConflict((oc) =>
              oc.columns(['target_kind', 'target_id', 'key']).doUpdateSet({ value_json: valueJson, updated_at: now }),
            )
            .execute(),
        );
        await recordAudit(
          trx,
          now,
          actor,
          'setting.set',
          target,
          before ? { key, value: JSON.parse(before.value_json) } : { key, inherited: true },
          { key, value },
        );
        return { changedComputerIds: await configuration.recompute(affectedBy(target), trx) };
      }),
    );
  }

  async function unset(
    target: SettingTarget,
    key: string,
    actor: Actor,
  ): Promise<Result<{ changedComputerIds: string[] }>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        await targetName(trx, target);
        const before = await trx
          .selectFrom('settings')
          .select('value_json')
          .where('target_kind', '=', target.kind)
          .where('target_id', '=', target.id)
          .where('key', '=', key)
          .executeTakeFirst();
        if (!before) abort('not-found', `${key} is not set on this ${target.kind}; it is already inherited`);
        await keepingRulesEnforceable(trx, target, key, '/', () =>
          trx
            .deleteFrom('settings')
            .where('target_kind', '=', target.kind)
            .where('target_id', '=', target.id)
            .where('key', '=', key)
            .execute(),
        );
        await recordAudit(
          trx,
          ctx.now(),
          actor,
          'setting.unset',
          target,
          { key, value: JSON.parse(before.value_json) },
          { key, inherited: true },
        );
        return { changedComputerIds: await configuration.recompute(affectedBy(target), trx) };
      }),
    );
  }

  return { effective, set, unset };
}

export type SettingsService = ReturnType<typeof settingsService>;
