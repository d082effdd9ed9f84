import type { InnerRule, SilencingRule } from '@bulwark/protocol';
import { compileRuleset, type Rule } from '../engine/index.js';
import { builtInRuleset } from '../rules/index.js';

/** Built-in rules have ids in this range; the agent runs one when its first group is assigned. */
export const BUILT_IN_RULE_IDS = { first: 100000, last: 101999 } as const;
/** A silencing rule's engine id: the silenced rule's id plus this, so 100302 → 900302 (900000–901999). */
export const SILENCER_ID_OFFSET = 800000;

/** Custom rule id of the rule that silences built-in rule `id`. */
export function silencerRuleId(id: number): string {
  return `loginspect.silence-${id}`;
}

/**
 * The built-in rules as events name them (`ruleId` 100302), each with the group rule
 * (`loginspect.su`) that runs it, for `rules show` and for silencing one rule of a group.
 */
export function builtInInnerRules(knownGroups: ReadonlySet<string>) {
  let byId: ReadonlyMap<number, Rule> | undefined;
  // Compiled on first use: most manager processes never ask.
  const rules = () => {
    byId ??= compileRuleset(builtInRuleset()).ruleset.rulesById;
    return byId;
  };
  const builtIn = (ruleId: string): Rule | undefined => {
    if (!/^\d{6}$/.test(ruleId)) return undefined;
    const id = Number(ruleId);
    if (id < BUILT_IN_RULE_IDS.first || id > BUILT_IN_RULE_IDS.last) return undefined;
    return rules().get(id);
  };

  function innerRule(ruleId: string): InnerRule | undefined {
    const rule = builtIn(ruleId);
    if (rule === undefined) return undefined;
    const group = rule.groups[0] ?? '';
    return {
      id: ruleId,
      description: rule.description,
      assignableRuleId: knownGroups.has(group) ? `loginspect.${group}` : null,
      details: { level: rule.level, groups: [...rule.groups] },
    };
  }

  /**
   * A child rule of level 0 with no condition of its own: it matches whenever the silenced rule
   * does and, being the deeper match, decides the verdict, so no alert (and no event) follows.
   * Rules that count the silenced rule's alerts (frequency rules) stop seeing them too.
   */
  function silencingRule(ruleId: string): SilencingRule {
    const rule = builtIn(ruleId);
    if (rule === undefined) {
      return {
        refused: `${ruleId} is not a built-in log inspection rule (ids ${BUILT_IN_RULE_IDS.first}–${BUILT_IN_RULE_IDS.last}); to quiet a custom rule, change it`,
      };
    }
    const description = `Silences rule ${rule.id}: ${rule.description}`.slice(0, 1024);
    const xmlText = description.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const rulesXml = [
      '<group name="bulwark_silenced,">',
      `  <rule id="${rule.id + SILENCER_ID_OFFSET}" level="0">`,
      `    <if_sid>${rule.id}</if_sid>`,
      `    <description>${xmlText}</description>`,
      '  </rule>',
      '</group>',
      '',
    ].join('\n');
    return { rule: { id: silencerRuleId(rule.id), description, rulesXml } };
  }

  return { innerRule, silencingRule };
}
