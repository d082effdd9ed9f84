import type { AssignedRule, RuleCheckContext, ValidationIssue } from '@bulwark/protocol';
import { type IntegritySettings, validateRule } from '../engine/index.js';
import { OVERRIDABLE, withOverrides } from './compile.js';

/**
 * Integrity monitoring's `checkRule`: the reasons compileIntegrity would leave the rule out
 * (relative base, bad glob, unknown attribute, …) and override keys it would ignore. Integrity
 * rules refer to nothing in the settings, so the place does not matter.
 */
export function checkIntegrityRule(
  rule: AssignedRule,
  _context: RuleCheckContext<IntegritySettings>,
): readonly ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(rule.overrides)) {
    if (!(OVERRIDABLE as readonly string[]).includes(key))
      issues.push({
        path: `/${key}`,
        message:
          key === 'mode'
            ? `integrity monitoring only detects changes and blocks nothing, so its rules have no detect/prevent mode; overridable: ${OVERRIDABLE.join(', ')}`
            : `integrity rules cannot override "${key}"; overridable: ${OVERRIDABLE.join(', ')}`,
      });
  }
  const definition =
    typeof rule.definition === 'object' && rule.definition !== null
      ? { ...rule.definition, id: rule.id }
      : rule.definition;
  const checked = validateRule(withOverrides(definition, rule.overrides));
  if (!checked.ok) {
    for (const issue of checked.issues) {
      // An `exclude` override lands in entity.exclude; name the override, which is what to fix.
      const fromOverride = rule.overrides.exclude !== undefined && issue.path.startsWith('/entity/exclude');
      issues.push(fromOverride ? { path: '/exclude', message: issue.message } : issue);
    }
  }
  return issues;
}
