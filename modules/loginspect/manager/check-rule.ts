import type { AssignedRule, RuleCheckContext, ValidationIssue } from '@bulwark/protocol';
import type { LogInspectSettings } from './loginspect-settings.js';

/** Why a log-inspection rule has no `mode`, for the API's and the CLI's refusal. */
export const NO_MODE =
  'log inspection only reads logs and raises events; it never blocks anything, so its rules have no ' +
  'detect/prevent mode (every rule only detects)';

/**
 * Log inspection's `checkRule`: its rules take no property overrides (compile reads a rule's own
 * definition only), so every override is refused with why, instead of being stored and ignored.
 * The definition itself is left to the rule schema, as before.
 */
export function checkLogInspectRule(
  rule: AssignedRule,
  _context: RuleCheckContext<LogInspectSettings>,
): readonly ValidationIssue[] {
  return Object.keys(rule.overrides).map((key) => ({
    path: `/${key}`,
    message:
      key === 'mode'
        ? NO_MODE
        : `log inspection rules take no overrides ("${key}" would be ignored); unassign the rule group where it should not run`,
  }));
}
