import { type AssignedRule, describeIssues, parseWith } from '@bulwark/protocol';
import type { LogInspectConfiguration } from '../engine/agent-configuration.js';
import { compileRuleset, formatProblem } from '../engine/index.js';
import { builtInRuleset } from '../rules/index.js';
import { LogInspectRule, type LogInspectSettings } from './loginspect-settings.js';

export function compileLogInspect(
  settings: LogInspectSettings,
  assigned: readonly AssignedRule[],
  knownGroups: ReadonlySet<string>,
): LogInspectConfiguration {
  const builtInGroups = new Set<string>();
  const custom: { id: string; decodersXml: string; rulesXml: string }[] = [];
  const rejectedRules: { id: string; reason: string }[] = [];
  const seen = new Set<string>();
  const base = builtInRuleset();
  for (const a of [...assigned].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) {
    if (seen.has(a.id)) continue;
    seen.add(a.id);
    const parsed = parseWith(LogInspectRule, a.definition);
    if (!parsed.ok) {
      rejectedRules.push({ id: a.id, reason: describeIssues(parsed.issues) });
      continue;
    }
    const rule = parsed.value;
    if (rule.group !== undefined) {
      if (knownGroups.has(rule.group)) builtInGroups.add(rule.group);
      else rejectedRules.push({ id: a.id, reason: `no built-in rule group "${rule.group}"` });
      continue;
    }
    const decodersXml = rule.decodersXml ?? '';
    const rulesXml = rule.rulesXml ?? '';
    if (decodersXml === '' && rulesXml === '') {
      rejectedRules.push({ id: a.id, reason: 'a rule needs a built-in group or decoder/rule XML' });
      continue;
    }
    // Problems are judged with the built-in ruleset loaded, since custom rules may build on it.
    const check = compileRuleset({
      decoders: [...base.decoders, { name: `${a.id}/decoders.xml`, content: decodersXml }],
      rules: [...base.rules, { name: `${a.id}/rules.xml`, content: rulesXml }],
    });
    const errors = check.problems.filter((p) => p.severity === 'error' && p.file.startsWith(`${a.id}/`));
    if (errors.length > 0) {
      rejectedRules.push({ id: a.id, reason: errors.map(formatProblem).join('; ') });
      continue;
    }
    custom.push({ id: a.id, decodersXml, rulesXml });
  }
  return {
    minimumLevel: settings.minimumLevel,
    sources: settings.sources,
    builtInGroups: [...builtInGroups].sort(),
    custom,
    rejectedRules,
  };
}
