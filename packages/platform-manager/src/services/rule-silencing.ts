import type { ServiceContext } from './context.js';
import { fail, ok, type Result } from './result.js';
import type { Actor } from './roles.js';
import type { RulesService } from './rules.js';
import { findModule, moduleRules } from './rules-catalogue.js';
import type { RuleTarget } from './rules-targets.js';

export interface SilenceChange {
  readonly module: string;
  /** The inner rule, as events name it. */
  readonly ruleId: string;
  /** The custom rule that silences it, assigned (or no longer) at the target. */
  readonly silencingRuleId: string;
  readonly silenced: boolean;
  /** The silencing rule was added to the catalogue by this change. */
  readonly created: boolean;
  readonly changedComputerIds: readonly string[];
}

/**
 * Silencing one inner rule (an id events carry, such as log inspection's 100302) at a policy or
 * computer, without writing a rule by hand: the module makes the silencing rule
 * (`ManagerModule.silencingRule`), which is added to the catalogue once and then assigned or
 * unassigned like any rule, so `rules show` and `rules effective` tell where it is in force.
 */
export function ruleSilencingService(ctx: ServiceContext, rules: RulesService) {
  async function setSilenced(
    target: RuleTarget,
    moduleId: string,
    ruleId: string,
    silenced: boolean,
    actor: Actor,
  ): Promise<Result<SilenceChange>> {
    const module = findModule(ctx.modules, moduleId);
    if (!module.ok) return module;
    if (module.value.silencingRule === undefined) {
      return fail(
        'validation',
        `the ${moduleId} module has no single rules to silence; unassign the rule or override it instead`,
      );
    }
    const made = module.value.silencingRule(ruleId);
    if ('refused' in made) return fail('validation', made.refused);
    const silencingRuleId = made.rule.id;
    let created = false;
    if (silenced && !(await moduleRules(ctx.db, ctx.modules, moduleId)).has(silencingRuleId)) {
      const added = await rules.createCustom(moduleId, made.rule, actor);
      // Another request may have added it in between: then it is there, as wanted.
      if (!added.ok && added.error.kind !== 'conflict') return added;
      created = added.ok;
    }
    const base = { module: moduleId, ruleId, silencingRuleId, silenced, created };
    if (silenced) {
      const assigned = await rules.assign(target, moduleId, [silencingRuleId], actor);
      return assigned.ok ? ok({ ...base, changedComputerIds: assigned.value.changedComputerIds }) : assigned;
    }
    const unassigned = await rules.unassign(target, moduleId, [silencingRuleId], actor);
    return unassigned.ok ? ok({ ...base, changedComputerIds: unassigned.value.changedComputerIds }) : unassigned;
  }

  return { setSilenced };
}

export type RuleSilencingService = ReturnType<typeof ruleSilencingService>;
