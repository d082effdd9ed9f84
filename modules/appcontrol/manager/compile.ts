import type { AssignedRule } from '@bulwark/protocol';
import { type AppcontrolConfiguration, checkAppcontrolRule } from '../engine/index.js';
import type { AppcontrolSettings } from './appcontrol-settings.js';

/** A rule as compile uses it: its definition with the overrides merged on top. */
export function withOverrides(rule: AssignedRule): unknown {
  return rule.definition !== null && typeof rule.definition === 'object'
    ? { ...(rule.definition as object), ...rule.overrides }
    : rule.definition;
}

/** The agent's configuration: checked rulesets in id order, refused ones named with the reason. */
export function compileAppcontrol(
  settings: AppcontrolSettings,
  assigned: readonly AssignedRule[],
): AppcontrolConfiguration {
  const rules: unknown[] = [];
  const rejectedRules: { id: string; reason: string }[] = [];
  const seen = new Set<string>();
  for (const a of [...assigned].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) {
    if (seen.has(a.id)) continue;
    seen.add(a.id);
    const checked = checkAppcontrolRule(withOverrides(a));
    if (checked.ok) rules.push(checked.rule);
    else rejectedRules.push({ id: a.id, reason: checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ') });
  }
  const until = settings.maintenanceUntil === '' ? Number.NaN : Date.parse(settings.maintenanceUntil);
  return {
    settings: {
      mode: settings.mode,
      maintenanceUntilMs: Number.isFinite(until) ? until : null,
      trustPackageManagers: settings.trustPackageManagers,
      roots: settings.roots,
      enforcedMounts: settings.enforcedMounts,
      checkInterpreters: settings.checkInterpreters,
    },
    rules,
    rejectedRules,
  };
}
