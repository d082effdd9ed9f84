import type { FirewallRule, RuleAction } from './rule-schema.js';

/**
 * Rank of an action among rules of the same priority, lowest first. Log-only rules come first so
 * they see every packet that reaches their priority; then bypass, force-allow, deny, allow, which
 * makes deny beat allow and force-allow beat deny at equal priority.
 */
export const ACTION_RANK: Readonly<Record<RuleAction, number>> = {
  'log-only': 0,
  bypass: 1,
  'force-allow': 2,
  deny: 3,
  allow: 4,
};

export interface OrderedRule {
  readonly rule: FirewallRule;
  /** Position in the configuration's rule list; events carry it back to the rule. */
  readonly index: number;
}

/** Evaluation order: higher priority first, then by action rank, then by id so the order is stable. */
export function orderRules(rules: readonly FirewallRule[]): OrderedRule[] {
  return rules
    .map((rule, index) => ({ rule, index }))
    .sort(
      (a, b) =>
        b.rule.priority - a.rule.priority ||
        ACTION_RANK[a.rule.action] - ACTION_RANK[b.rule.action] ||
        (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : a.index - b.index),
    );
}
