import { type InnerRule, type ManagerModule, parseWith } from '@bulwark/protocol';
import { recordAudit } from './audit.js';
import { type ConfigurationService, serialiseConfigurationChanges } from './configuration.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { decodeCursor, encodeCursor, type Page, type PageRequest, pageLimit } from './pagination.js';
import { loadPolicies } from './policy-tree.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import type { Actor } from './roles.js';
import { type CatalogueRule, loadCatalogue, moduleRules, requireModule } from './rules-catalogue.js';
import { describeProblems, type RuleProblem, refuseNewProblems } from './rules-check.js';
import { customRulesService, problemIssues } from './rules-custom.js';
import { type EffectiveRule, loadRuleData, type RuleSource, resolveEffectiveRules } from './rules-effective.js';
import { ruleImportService } from './rules-import.js';
import { insertAssignments, storeOverrides } from './rules-rows.js';
import { affectedBy, type RuleTarget, targetLayers, targetsAssigning } from './rules-targets.js';

/** A catalogue rule with the false-positive workflow's facts about it. */
export interface RuleDetail extends CatalogueRule {
  /** Every policy and computer that assigns it directly. */
  readonly assignedTo: readonly RuleSource[];
  readonly excludedFromRecommendations: boolean;
  /** Set when the rule was asked for by the id of a rule inside it (an event's `ruleId`). */
  readonly innerRule?: InnerRule;
}

export const MAX_RULES_PER_CHANGE = 500;

export function rulesService(ctx: ServiceContext, configuration: ConfigurationService) {
  const moduleOf = (moduleId: string) => requireModule(ctx.modules, moduleId);
  const rulesOf = (db: Executor, moduleId: string) => moduleRules(db, ctx.modules, moduleId);
  const assignedTo = (moduleId: string, ruleId: string, db: Executor = ctx.db) =>
    targetsAssigning(db, moduleId, ruleId);
  const custom = customRulesService(ctx, configuration);

  /** Built-in and custom rules of a module, by id. */
  /** The module's catalogue in id order; `q` keeps the rules whose id or definition contains it (any case). */
  async function catalogue(
    moduleId: string,
    page: PageRequest & { q?: string } = {},
  ): Promise<Result<Page<CatalogueRule>>> {
    const limit = pageLimit(page);
    if (!limit.ok) return limit;
    let after = '';
    if (page.cursor) {
      const position = decodeCursor(page.cursor, ['string'] as const);
      if (!position.ok) return position;
      after = position.value[0];
    }
    const needle = page.q?.trim().toLowerCase() ?? '';
    return guarded(async () => {
      const rules = [...(await rulesOf(ctx.db, moduleId)).values()]
        .filter((r) => r.id > after && matches(r, needle))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const items = rules.slice(0, limit.value);
      const last = items[items.length - 1];
      return { items, nextCursor: rules.length > limit.value && last ? encodeCursor([last.id]) : null };
    });
  }

  async function isExcluded(db: Executor, moduleId: string, ruleId: string): Promise<boolean> {
    const row = await db
      .selectFrom('recommendation_exclusions')
      .select('excluded')
      .where('module', '=', moduleId)
      .where('rule_id', '=', ruleId)
      .executeTakeFirst();
    return row?.excluded === 1;
  }

  async function get(moduleId: string, ruleId: string): Promise<Result<RuleDetail>> {
    return guarded(async () => {
      const known = await rulesOf(ctx.db, moduleId);
      let rule = known.get(ruleId);
      // An id the module's events carry but one cannot assign (a rule inside a group rule): answer the rule that runs it.
      const inner = rule === undefined ? moduleOf(moduleId).innerRule?.(ruleId) : undefined;
      if (inner?.assignableRuleId) rule = known.get(inner.assignableRuleId);
      if (!rule) {
        const runBy = inner === undefined ? '' : `; ${ruleId} (${inner.description}) is run by no assignable rule`;
        abort('not-found', `${noSuchRule(moduleId, [ruleId], known)}${runBy}`);
      }
      return {
        ...(inner === undefined ? {} : { innerRule: inner }),
        ...rule,
        assignedTo: await assignedTo(moduleId, rule.id),
        excludedFromRecommendations: await isExcluded(ctx.db, moduleId, rule.id),
      };
    });
  }

  function checkIds(ruleIds: readonly string[]): Result<string[]> {
    const ids = [...new Set(ruleIds)];
    if (ids.length === 0) return fail('validation', 'name at least one rule id');
    if (ids.length > MAX_RULES_PER_CHANGE) {
      return fail('validation', `at most ${MAX_RULES_PER_CHANGE} rules can be changed at once`);
    }
    return ok(ids);
  }

  /** Assigns rules directly at a policy or a computer; rules already assigned there are left as they are. */
  async function assign(
    target: RuleTarget,
    moduleId: string,
    ruleIds: readonly string[],
    actor: Actor,
    db: Executor = ctx.db,
  ): Promise<Result<{ assigned: string[]; changedComputerIds: string[] }>> {
    const ids = checkIds(ruleIds);
    if (!ids.ok) return ids;
    return guarded(() =>
      inTransaction(db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const rules = await rulesOf(trx, moduleId);
        const unknown = ids.value.filter((id) => !rules.has(id));
        if (unknown.length > 0) abort('not-found', noSuchRule(moduleId, unknown, rules, ctx.modules));
        await targetLayers(trx, await loadPolicies(trx), target);
        const already = new Set(
          (
            await trx
              .selectFrom('rule_assignments')
              .select('rule_id')
              .where('target_kind', '=', target.kind)
              .where('target_id', '=', target.id)
              .where('module', '=', moduleId)
              .execute()
          ).map((r) => r.rule_id),
        );
        const assigned = ids.value.filter((id) => !already.has(id));
        const now = ctx.now();
        if (assigned.length > 0) {
          await refuseNewProblems(
            trx,
            ctx,
            moduleOf(moduleId),
            [target],
            { ruleIds: new Set(assigned) },
            () => insertAssignments(trx, target, moduleId, assigned, now),
            (problems) =>
              abort(
                'conflict',
                `the ${moduleId} module could not enforce ${[...new Set(problems.map((p) => p.ruleId))].join(', ')} here; ` +
                  `nothing was assigned: ${describeProblems(problems)}`,
                problemIssues(problems, (p) => `/ruleIds/${ruleIds.indexOf(p.ruleId)}`),
              ),
          );
          await recordAudit(trx, now, actor, 'rule.assign', target, null, { module: moduleId, ruleIds: assigned });
        }
        return { assigned, changedComputerIds: await configuration.recompute(affectedBy(target), trx) };
      }),
    );
  }

  /**
   * Removes direct assignments at one level. When none of the rules is assigned there, the answer
   * says where they come from instead, so the caller knows which level to change.
   */
  async function unassign(
    target: RuleTarget,
    moduleId: string,
    ruleIds: readonly string[],
    actor: Actor,
  ): Promise<Result<{ unassigned: string[]; changedComputerIds: string[] }>> {
    const ids = checkIds(ruleIds);
    if (!ids.ok) return ids;
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        moduleOf(moduleId);
        const layers = await targetLayers(trx, await loadPolicies(trx), target);
        const present = (
          await trx
            .selectFrom('rule_assignments')
            .select('rule_id')
            .where('target_kind', '=', target.kind)
            .where('target_id', '=', target.id)
            .where('module', '=', moduleId)
            .where('rule_id', 'in', ids.value)
            .execute()
        ).map((r) => r.rule_id);
        if (present.length === 0) {
          const data = await loadRuleData(trx, target.kind === 'computer' ? [target.id] : []);
          const inherited = resolveEffectiveRules(
            layers,
            data,
            await loadCatalogue(trx, ctx.modules, [moduleId]),
            moduleId,
          )
            .filter((r) => ids.value.includes(r.id))
            .map((r) => `${r.id} (assigned at ${r.assignedAt.map((s) => `${s.kind} ${s.name}`).join(', ')})`);
          abort(
            'not-found',
            inherited.length > 0
              ? `not assigned directly to this ${target.kind}; unassign where it is assigned: ${inherited.join('; ')}`
              : `${ids.value.join(', ')} is not assigned to this ${target.kind}`,
          );
        }
        await trx
          .deleteFrom('rule_assignments')
          .where('target_kind', '=', target.kind)
          .where('target_id', '=', target.id)
          .where('module', '=', moduleId)
          .where('rule_id', 'in', present)
          .execute();
        await recordAudit(trx, ctx.now(), actor, 'rule.unassign', target, { module: moduleId, ruleIds: present }, null);
        return { unassigned: present, changedComputerIds: await configuration.recompute(affectedBy(target), trx) };
      }),
    );
  }

  /** The rules in force at a policy or computer: the union over its chain, overrides merged root → leaf. */
  async function effective(
    target: RuleTarget,
    moduleId?: string,
    db: Executor = ctx.db,
  ): Promise<Result<EffectiveRule[]>> {
    return guarded(async () => {
      if (moduleId !== undefined) moduleOf(moduleId);
      const layers = await targetLayers(db, await loadPolicies(db), target);
      const data = await loadRuleData(db, target.kind === 'computer' ? [target.id] : []);
      const catalogue = await loadCatalogue(db, ctx.modules, moduleId === undefined ? undefined : [moduleId]);
      return resolveEffectiveRules(layers, data, catalogue, moduleId);
    });
  }

  /**
   * Sets a rule's property overrides at one level (an empty object removes them). The rule with
   * these overrides must still be one the module accepts (its `checkRule`, at this level and
   * wherever below the rule is in force; else its rule schema), and its id cannot be overridden.
   */
  async function setOverrides(
    target: RuleTarget,
    moduleId: string,
    ruleId: string,
    overrides: Record<string, unknown>,
    actor: Actor,
  ): Promise<Result<{ overrides: Record<string, unknown>; changedComputerIds: string[] }>> {
    if ('id' in overrides)
      return fail('validation', "/id: a rule's id cannot be overridden", [
        { path: '/id', message: 'cannot be overridden' },
      ]);
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const module = moduleOf(moduleId);
        const known = await rulesOf(trx, moduleId);
        const rule = known.get(ruleId);
        if (!rule) abort('not-found', noSuchRule(moduleId, [ruleId], known, ctx.modules));
        if (module.ruleSchema && !module.checkRule) {
          const parsed = parseWith(module.ruleSchema, { ...rule.definition, ...overrides });
          if (!parsed.ok) {
            const first = parsed.issues[0];
            abort('validation', `overrides do not fit rule ${ruleId}: ${first?.path} ${first?.message}`);
          }
        }
        await targetLayers(trx, await loadPolicies(trx), target);
        const before = await trx
          .selectFrom('rule_overrides')
          .select('overrides_json')
          .where('target_kind', '=', target.kind)
          .where('target_id', '=', target.id)
          .where('module', '=', moduleId)
          .where('rule_id', '=', ruleId)
          .executeTakeFirst();
        const now = ctx.now();
        await refuseNewProblems(
          trx,
          ctx,
          module,
          [target],
          { ruleIds: new Set([ruleId]), asIfAssigned: [ruleId] },
          () => storeOverrides(trx, target, moduleId, ruleId, overrides, now),
          (problems) =>
            abort(
              'validation',
              `overrides do not fit rule ${ruleId}; nothing was changed: ${describeProblems(problems)}`,
              problemIssues(problems, (p) => overridePath(p, overrides)),
            ),
        );
        await recordAudit(
          trx,
          now,
          actor,
          'rule.override',
          target,
          { module: moduleId, ruleId, overrides: before ? JSON.parse(before.overrides_json) : {} },
          { module: moduleId, ruleId, overrides },
        );
        return { overrides, changedComputerIds: await configuration.recompute(affectedBy(target), trx) };
      }),
    );
  }

  /** The global "Exclude from recommendations" flag: an excluded rule is never auto-applied. */
  async function setExcludedFromRecommendations(
    moduleId: string,
    ruleId: string,
    excluded: boolean,
    actor: Actor,
  ): Promise<Result<{ module: string; ruleId: string; excluded: boolean }>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const known = await rulesOf(trx, moduleId);
        if (!known.has(ruleId)) abort('not-found', noSuchRule(moduleId, [ruleId], known, ctx.modules));
        const before = await isExcluded(trx, moduleId, ruleId);
        const now = ctx.now();
        const flag = excluded ? 1 : 0;
        await trx
          .insertInto('recommendation_exclusions')
          .values({ module: moduleId, rule_id: ruleId, excluded: flag, updated_at: now })
          .onConflict((oc) => oc.columns(['module', 'rule_id']).doUpdateSet({ excluded: flag, updated_at: now }))
          .execute();
        if (before !== excluded) {
          await recordAudit(
            trx,
            now,
            actor,
            'rule.exclude-from-recommendations',
            { kind: 'rule', id: `${moduleId}/${ruleId}` },
            { excluded: before },
            { excluded },
          );
        }
        return { module: moduleId, ruleId, excluded };
      }),
    );
  }

  /** Rule ids of a module that are excluded from recommendations. */
  async function excludedIds(moduleId: string, db: Executor = ctx.db): Promise<Set<string>> {
    const rows = await db
      .selectFrom('recommendation_exclusions')
      .select('rule_id')
      .where('module', '=', moduleId)
      .where('excluded', '=', 1)
      .execute();
    return new Set(rows.map((r) => r.rule_id));
  }

  return {
    catalogue,
    get,
    ...custom,
    ...ruleImportService(ctx, configuration),
    assign,
    unassign,
    assignedTo: (moduleId: string, ruleId: string): Promise<Result<RuleSource[]>> =>
      guarded(async () => {
        moduleOf(moduleId);
        return assignedTo(moduleId, ruleId);
      }),
    effective,
    effectiveRules: (computerId: string, moduleId?: string) =>
      effective({ kind: 'computer', id: computerId }, moduleId),
    setOverrides,
    setExcludedFromRecommendations,
    excludedIds,
  };
}

export type RulesService = ReturnType<typeof rulesService>;

/** Where in the request body a problem lies: under /overrides when an overridden field causes it. */
function overridePath(problem: RuleProblem, overrides: Record<string, unknown>): string {
  const field = problem.issue.path.split('/')[1] ?? '';
  return Object.hasOwn(overrides, field) ? `/overrides${problem.issue.path}` : problem.issue.path;
}

/**
 * The not-found message for rule ids a module lacks, naming the ids the caller probably meant:
 * the same id in other case, or with the module's prefix (`sshd` for `loginspect.sshd`).
 */
function noSuchRule(
  moduleId: string,
  missing: readonly string[],
  known: ReadonlyMap<string, unknown>,
  modules: readonly ManagerModule[] = [],
): string {
  const meant = missing.flatMap((id) => {
    const wanted = [id.toLowerCase(), `${moduleId}.${id}`.toLowerCase()];
    return [...known.keys()].filter((k) => wanted.includes(k.toLowerCase()));
  });
  const hint = meant.length > 0 ? ` (did you mean ${meant.join(', ')}?)` : '';
  // An id from an event that names a rule inside a catalogue rule: say which one to use instead.
  const module = modules.find((m) => m.id === moduleId);
  const inside = missing.flatMap((id) => {
    const inner = module?.innerRule?.(id);
    return inner?.assignableRuleId ? [`${id} is a rule inside ${inner.assignableRuleId}`] : [];
  });
  const innerHint =
    inside.length > 0
      ? `; ${inside.join(', ')}: use that rule, or silence ${missing.length === 1 ? 'it' : 'one'} alone (PUT …/rules/${moduleId}/<rule>/silenced, bulwark rules silence)`
      : '';
  return `module ${moduleId} has no rule ${missing.join(', ')}${hint}${innerHint}`;
}

function matches(rule: CatalogueRule, needle: string): boolean {
  if (needle === '') return true;
  return rule.id.toLowerCase().includes(needle) || JSON.stringify(rule.definition).toLowerCase().includes(needle);
}
