import type { AssignedRule, ManagerModule, ValidationIssue } from '@bulwark/protocol';
import { layersFor, loadOverrides, storedValueFits } from './configuration.js';
import type { Executor, ServiceContext } from './context.js';
import { type PolicyMap, withDescendants } from './policy-tree.js';
import { loadCatalogue } from './rules-catalogue.js';
import { assignedAt, loadRuleData, overridesAt, type RuleSource, resolveEffectiveRules } from './rules-effective.js';
import type { RuleTarget } from './rules-targets.js';
import { resolveSettings, settingsByModule } from './settings-resolver.js';

/**
 * The manager's side of a module's `checkRule`: runs it where a rule is (or would be) in force,
 * so that the API refuses what the module's compiler would silently leave out on the host.
 */

/** One problem a module has with one rule at one policy or computer. */
export interface RuleProblem {
  readonly level: RuleSource;
  readonly ruleId: string;
  readonly issue: ValidationIssue;
}

/** Rules to check at a level even when nothing assigns them there yet (an override set ahead). */
export interface RuleCheckScope {
  /** Check only these rules; every rule of the module when absent. */
  readonly ruleIds?: ReadonlySet<string>;
  /** Check these rules at the scope's own level as if they were assigned there. */
  readonly asIfAssigned?: readonly string[];
}

type Settings = Record<string, unknown>;

function moduleSettings(ctx: ServiceContext, moduleId: string, layers: ReturnType<typeof layersFor>): Settings {
  const definitions = ctx.catalog.definitions.filter((d) => d.module === moduleId);
  return settingsByModule(definitions, resolveSettings(definitions, layers, storedValueFits))[moduleId] ?? {};
}

function keysOf(ctx: ServiceContext, moduleId: string): ReadonlySet<string> {
  return new Set(ctx.catalog.definitions.filter((d) => d.module === moduleId).map((d) => d.key));
}

/**
 * Every distinct effective value of the module's settings: the defaults, each policy's, and each
 * (active) computer's that overrides one of them. What an unplaced rule may refer to.
 */
export async function settingsEverywhere(db: Executor, ctx: ServiceContext, moduleId: string): Promise<Settings[]> {
  const keys = keysOf(ctx, moduleId);
  const policies = await db.selectFrom('policies').selectAll().execute();
  const policyMap: PolicyMap = new Map(policies.map((p) => [p.id, p]));
  const policyOverrides = await loadOverrides(db, 'policy');
  const computerIds = (
    await db
      .selectFrom('settings')
      .innerJoin('computers', 'computers.id', 'settings.target_id')
      .select('computers.id')
      .distinct()
      .where('settings.target_kind', '=', 'computer')
      .where('settings.key', 'in', [...keys])
      .where('computers.deactivated_at', 'is', null)
      .execute()
  ).map((r) => r.id);
  const out = new Map<string, Settings>();
  const add = (settings: Settings) => out.set(JSON.stringify(settings), settings);
  add(moduleSettings(ctx, moduleId, []));
  for (const policy of policies) add(moduleSettings(ctx, moduleId, layersFor(policyMap, policyOverrides, policy.id)));
  if (computerIds.length > 0) {
    const own = await loadOverrides(db, 'computer', computerIds);
    const rows = await db
      .selectFrom('computers')
      .select(['id', 'name', 'policy_id'])
      .where('id', 'in', computerIds)
      .execute();
    for (const c of rows) {
      add(
        moduleSettings(
          ctx,
          moduleId,
          layersFor(policyMap, policyOverrides, c.policy_id, {
            id: c.id,
            name: c.name,
            overrides: own.get(c.id) ?? new Map(),
          }),
        ),
      );
    }
  }
  return [...out.values()];
}

/** A rule checked on its own, before or apart from any assignment (custom rule create / replace). */
export async function checkUnplaced(
  db: Executor,
  ctx: ServiceContext,
  module: ManagerModule,
  rule: AssignedRule,
): Promise<readonly ValidationIssue[]> {
  if (!module.checkRule) return [];
  return module.checkRule(rule, { settings: null, everywhere: await settingsEverywhere(db, ctx, module.id) });
}

/**
 * Problems of the module's rules in force at the targets and at every policy and computer below
 * them, in one pass. A computer that neither overrides the module's settings nor assigns or
 * overrides its rules itself has exactly its policy's rules and settings, so it is covered by its
 * policy's check; a computer named as a target is always checked.
 */
export async function problemsInForce(
  db: Executor,
  ctx: ServiceContext,
  module: ManagerModule,
  targetOrTargets: RuleTarget | readonly RuleTarget[],
  scope: RuleCheckScope = {},
): Promise<RuleProblem[]> {
  const check = module.checkRule;
  if (!check) return [];
  const targets: readonly RuleTarget[] = Array.isArray(targetOrTargets) ? targetOrTargets : [targetOrTargets];
  const isTarget = (level: { kind: string; id: string }) =>
    targets.some((t) => t.kind === level.kind && t.id === level.id);
  const moduleId = module.id;
  const keys = keysOf(ctx, moduleId);
  const policyMap: PolicyMap = new Map((await db.selectFrom('policies').selectAll().execute()).map((p) => [p.id, p]));
  const policyIds = [
    ...withDescendants(
      policyMap,
      targets.filter((t) => t.kind === 'policy').map((t) => t.id),
    ),
  ];
  const targetComputerIds = targets.filter((t) => t.kind === 'computer').map((t) => t.id);
  const computerRows =
    policyIds.length + targetComputerIds.length === 0
      ? []
      : await db
          .selectFrom('computers')
          .select(['id', 'name', 'policy_id'])
          .where('deactivated_at', 'is', null)
          .where((eb) =>
            eb.or([
              ...(policyIds.length > 0 ? [eb('policy_id', 'in', policyIds)] : []),
              ...(targetComputerIds.length > 0 ? [eb('id', 'in', targetComputerIds)] : []),
            ]),
          )
          .execute();
  const computerIds = computerRows.map((c) => c.id);
  const policyOverrides = await loadOverrides(db, 'policy');
  const computerOverrides = await loadOverrides(db, 'computer', computerIds);
  const data = await loadRuleData(db, computerIds);
  const catalogue = await loadCatalogue(db, ctx.modules, [moduleId]);
  const rules = catalogue.get(moduleId) ?? new Map();

  const levels: { source: RuleSource; layers: ReturnType<typeof layersFor> }[] = [];
  for (const id of policyIds) {
    const layers = layersFor(policyMap, policyOverrides, id);
    const source = layers[layers.length - 1]?.source;
    if (source) levels.push({ source, layers });
  }
  for (const c of computerRows) {
    const own = computerOverrides.get(c.id) ?? new Map<string, unknown>();
    const level = { kind: 'computer' as const, id: c.id };
    const special =
      isTarget(level) ||
      [...own.keys()].some((k) => keys.has(k)) ||
      assignedAt(data, level, moduleId).size > 0 ||
      overridesAt(data, level, moduleId).size > 0;
    if (!special) continue;
    levels.push({
      source: { kind: 'computer', id: c.id, name: c.name },
      layers: layersFor(policyMap, policyOverrides, c.policy_id, { id: c.id, name: c.name, overrides: own }),
    });
  }

  const problems: RuleProblem[] = [];
  const memo = new Map<string, readonly ValidationIssue[]>();
  for (const level of levels) {
    const settings = moduleSettings(ctx, moduleId, level.layers);
    const everywhere = [settings] as const;
    const sources = level.layers.map((l) => l.source);
    const inForce: AssignedRule[] = resolveEffectiveRules(sources, data, catalogue, moduleId)
      .filter((r) => scope.ruleIds === undefined || scope.ruleIds.has(r.id))
      .map((r) => ({ id: r.id, definition: r.definition, overrides: r.overrides }));
    for (const own of isTarget(level.source) ? (scope.asIfAssigned ?? []) : []) {
      const rule = rules.get(own);
      if (!rule || inForce.some((r) => r.id === own)) continue;
      const overrides: Record<string, unknown> = {};
      for (const s of sources) Object.assign(overrides, overridesAt(data, s, moduleId).get(own));
      inForce.push({ id: own, definition: rule.definition, overrides });
    }
    const settingsKey = JSON.stringify(settings);
    for (const rule of inForce) {
      const key = JSON.stringify([settingsKey, rule.id, rule.definition, rule.overrides]);
      let issues = memo.get(key);
      if (!issues) {
        issues = check(rule, { settings, everywhere });
        memo.set(key, issues);
      }
      for (const issue of issues) problems.push({ level: level.source, ruleId: rule.id, issue });
    }
  }
  return problems;
}

const problemKey = (p: RuleProblem) =>
  JSON.stringify([p.level.kind, p.level.id, p.ruleId, p.issue.path, p.issue.message]);

/** The problems in `after` that `before` did not have: what a change would break. */
export function newProblems(before: readonly RuleProblem[], after: readonly RuleProblem[]): RuleProblem[] {
  const known = new Set(before.map(problemKey));
  const seen = new Set<string>();
  return after.filter((p) => {
    const key = problemKey(p);
    if (known.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const MAX_NAMED = 10;

/** One line per problem, e.g. `allow-ssh at computer web-1: /source/ipLists/0: IP list "x" …`. */
export function describeProblems(problems: readonly RuleProblem[]): string {
  const lines = problems
    .slice(0, MAX_NAMED)
    .map((p) => `${p.ruleId} at ${p.level.kind} ${p.level.name}: ${p.issue.path} ${p.issue.message}`);
  if (problems.length > MAX_NAMED) lines.push(`and ${problems.length - MAX_NAMED} more`);
  return lines.join('; ');
}

/** The problems as issues at one member of the request (`/policyId`, …), each naming rule and level. */
export function problemIssuesAt(problems: readonly RuleProblem[], path: string): ValidationIssue[] {
  return problems.map((p) => ({
    path,
    message: `${p.ruleId} at ${p.level.kind} ${p.level.name}: ${p.issue.path} ${p.issue.message}`,
  }));
}

/**
 * Runs `change` (inside the caller's transaction) and refuses it, rolling everything back, when
 * the module's rules in force at the targets and below have problems afterwards that they did
 * not have before. Problems that were already there (stored before these checks existed, or
 * made by a path this does not guard) do not block unrelated changes.
 */
export async function refuseNewProblems<T>(
  db: Executor,
  ctx: ServiceContext,
  module: ManagerModule | readonly ManagerModule[],
  targets: readonly RuleTarget[],
  scope: RuleCheckScope,
  change: () => Promise<T>,
  refuse: (problems: readonly RuleProblem[]) => never,
): Promise<T> {
  const modules = (Array.isArray(module) ? module : [module]).filter((m: ManagerModule) => m.checkRule);
  if (modules.length === 0) return change();
  const all = async () => {
    const out: RuleProblem[] = [];
    for (const m of modules) out.push(...(await problemsInForce(db, ctx, m, targets, scope)));
    return out;
  };
  const before = await all();
  const result = await change();
  const fresh = newProblems(before, await all());
  if (fresh.length > 0) refuse(fresh);
  return result;
}
