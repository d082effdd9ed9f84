import { describeIssues, type ManagerModule, type ValidationIssue } from '@bulwark/protocol';
import { recordAudit } from './audit.js';
import { type ConfigurationService, serialiseConfigurationChanges } from './configuration.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { abort, fail, guarded, type Result } from './result.js';
import type { Actor } from './roles.js';
import { type CatalogueRule, checkCustomRule, checkRuleShape, findModule, moduleRules } from './rules-catalogue.js';
import { checkUnplaced, describeProblems, type RuleProblem, refuseNewProblems } from './rules-check.js';
import { targetsAssigning } from './rules-targets.js';
import { iso } from './time.js';

/** Rules created through the API, beside each module's built-in (read-only) rules. */
export function customRulesService(ctx: ServiceContext, configuration: ConfigurationService) {
  const rulesOf = (db: Executor, moduleId: string) => moduleRules(db, ctx.modules, moduleId);
  const assignedTo = (moduleId: string, ruleId: string, db: Executor) => targetsAssigning(db, moduleId, ruleId);

  /**
   * The rule as the module will use it, or an abort: first the module's own check (`checkRule`,
   * which names semantic problems such as a /33 prefix or a list that exists nowhere), then the
   * rule schema. Reads the database (for what the rule may refer to) but writes nothing.
   */
  async function usableRule(
    db: Executor,
    module: ManagerModule,
    definition: Record<string, unknown> & { id: string },
  ): Promise<Record<string, unknown> & { id: string }> {
    const issues = await checkUnplaced(db, ctx, module, { id: definition.id, definition, overrides: {} });
    if (issues.length > 0) {
      abort(
        'validation',
        `rule ${definition.id} cannot be used by the ${module.id} module: ${describeIssues(issues)}`,
        issues,
      );
    }
    const checked = checkCustomRule(module, definition);
    if (!checked.ok) abort(checked.error.kind, checked.error.message, checked.error.issues);
    return checked.value;
  }

  /** Adds a custom rule that the module accepts; its id may not collide with any rule. */
  async function createCustom(moduleId: string, definition: unknown, actor: Actor): Promise<Result<CatalogueRule>> {
    const module = findModule(ctx.modules, moduleId);
    if (!module.ok) return module;
    const shaped = checkRuleShape(module.value, definition);
    if (!shaped.ok) return shaped;
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const rule = await usableRule(trx, module.value, shaped.value);
        const existing = (await rulesOf(trx, moduleId)).get(rule.id);
        if (existing) {
          abort(
            'conflict',
            existing.builtIn
              ? `${rule.id} is a built-in ${moduleId} rule; choose another id`
              : `module ${moduleId} already has a custom rule ${rule.id}`,
          );
        }
        const now = ctx.now();
        await trx
          .insertInto('custom_rules')
          .values({
            module: moduleId,
            id: rule.id,
            definition_json: JSON.stringify(rule),
            created_at: now,
            updated_at: now,
          })
          .execute();
        const created: CatalogueRule = {
          module: moduleId,
          id: rule.id,
          builtIn: false,
          definition: rule,
          createdAt: iso(now),
          updatedAt: iso(now),
        };
        await recordAudit(
          trx,
          now,
          actor,
          'rule.create',
          { kind: 'rule', id: `${moduleId}/${rule.id}` },
          null,
          created,
        );
        return created;
      }),
    );
  }

  /** A custom rule that exists and may change; built-ins are read-only. */
  async function customRule(db: Executor, moduleId: string, ruleId: string): Promise<CatalogueRule> {
    const existing = (await rulesOf(db, moduleId)).get(ruleId);
    if (!existing) return abort('not-found', `module ${moduleId} has no rule ${ruleId}`);
    if (existing.builtIn) abort('conflict', `${ruleId} is a built-in ${moduleId} rule; built-in rules are read-only`);
    return existing;
  }

  /**
   * Replaces a custom rule (same id), checked like a new one and, with each level's overrides and
   * settings, everywhere it is in force; computers that have it in force get it.
   */
  async function updateCustom(
    moduleId: string,
    ruleId: string,
    definition: unknown,
    actor: Actor,
  ): Promise<Result<{ rule: CatalogueRule; changedComputerIds: string[] }>> {
    const module = findModule(ctx.modules, moduleId);
    if (!module.ok) return module;
    const shaped = checkRuleShape(module.value, definition);
    if (!shaped.ok) return shaped;
    if (shaped.value.id !== ruleId) {
      return fail('validation', `/id: the rule's id is ${ruleId}; create a new rule for a new id`, [
        { path: '/id', message: `must be ${ruleId}` },
      ]);
    }
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const checked = await usableRule(trx, module.value, shaped.value);
        const before = await customRule(trx, moduleId, ruleId);
        const where = await assignedTo(moduleId, ruleId, trx);
        const now = ctx.now();
        const rule: CatalogueRule = { ...before, definition: checked, updatedAt: iso(now) };
        await refuseNewProblems(
          trx,
          ctx,
          module.value,
          where,
          { ruleIds: new Set([ruleId]) },
          async () => {
            await trx
              .updateTable('custom_rules')
              .set({ definition_json: JSON.stringify(checked), updated_at: now })
              .where('module', '=', moduleId)
              .where('id', '=', ruleId)
              .execute();
          },
          (problems) =>
            abort(
              'validation',
              `rule ${ruleId} as replaced would not be enforced where it is assigned: ${describeProblems(problems)}`,
              problemIssues(problems),
            ),
        );
        await recordAudit(trx, now, actor, 'rule.update', { kind: 'rule', id: `${moduleId}/${ruleId}` }, before, rule);
        const changedComputerIds = await configuration.recompute(
          {
            policyIds: where.filter((s) => s.kind === 'policy').map((s) => s.id),
            computerIds: where.filter((s) => s.kind === 'computer').map((s) => s.id),
          },
          trx,
        );
        return { rule, changedComputerIds };
      }),
    );
  }

  /** Deletes a custom rule that nothing assigns (the answer names where it is still assigned). */
  async function deleteCustom(moduleId: string, ruleId: string, actor: Actor): Promise<Result<CatalogueRule>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const rule = await customRule(trx, moduleId, ruleId);
        const where = await assignedTo(moduleId, ruleId, trx);
        if (where.length > 0) {
          abort(
            'conflict',
            `${ruleId} is still assigned to ${where.map((s) => `${s.kind} ${s.name}`).join(', ')}; unassign it first`,
          );
        }
        for (const table of ['rule_assignments', 'rule_overrides', 'recommendation_exclusions'] as const) {
          await trx.deleteFrom(table).where('module', '=', moduleId).where('rule_id', '=', ruleId).execute();
        }
        await trx.deleteFrom('custom_rules').where('module', '=', moduleId).where('id', '=', ruleId).execute();
        await recordAudit(
          trx,
          ctx.now(),
          actor,
          'rule.delete',
          { kind: 'rule', id: `${moduleId}/${ruleId}` },
          rule,
          null,
        );
        return rule;
      }),
    );
  }

  return { createCustom, updateCustom, deleteCustom };
}

/** Issues of problems found where a rule is in force: the rule field, and where and why in words. */
export function problemIssues(problems: readonly RuleProblem[], path?: (p: RuleProblem) => string): ValidationIssue[] {
  return problems.map((p) => ({
    path: path ? path(p) : p.issue.path,
    message: `${p.ruleId} at ${p.level.kind} ${p.level.name}: ${p.issue.message}`,
  }));
}
