import { type AssignedRule, describeIssues } from '@bulwark/protocol';
import {
  type CompiledRule,
  type IntegrityConfiguration,
  type IntegritySettings,
  validateRule,
} from '../engine/index.js';

/** The rule properties a policy or computer may override; compile ignores any other. */
export const OVERRIDABLE = ['severity', 'attributes', 'exclude'] as const;

/**
 * Overrides a policy or computer may set on an assigned rule. `exclude` adds to the rule's own
 * exclusions (a policy can quiet a noisy log file without copying the rule).
 */
export function withOverrides(definition: unknown, overrides: Readonly<Record<string, unknown>>): unknown {
  if (definition === null || typeof definition !== 'object') return definition;
  const rule = { ...(definition as Record<string, unknown>) };
  if (overrides.severity !== undefined) rule.severity = overrides.severity;
  if (overrides.attributes !== undefined) rule.attributes = overrides.attributes;
  if (overrides.exclude !== undefined) {
    const entity = { ...((rule.entity as Record<string, unknown>) ?? {}) };
    const own = Array.isArray(entity.exclude) ? entity.exclude : [];
    entity.exclude = Array.isArray(overrides.exclude) ? [...own, ...overrides.exclude] : overrides.exclude;
    rule.entity = entity;
  }
  return rule;
}

/** The agent's configuration: validated rules in id order, and the rules that were refused and why. */
export function compileIntegrity(
  settings: IntegritySettings,
  assigned: readonly AssignedRule[],
): IntegrityConfiguration {
  const rules: CompiledRule[] = [];
  const rejectedRules: { id: string; reason: string }[] = [];
  const seen = new Set<string>();
  for (const a of [...assigned].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) {
    if (seen.has(a.id)) continue;
    seen.add(a.id);
    const r = validateRule(withOverrides(a.definition, a.overrides));
    if (r.ok) rules.push(r.rule);
    else rejectedRules.push({ id: a.id, reason: describeIssues(r.issues) });
  }
  return { settings, rules, rejectedRules };
}
