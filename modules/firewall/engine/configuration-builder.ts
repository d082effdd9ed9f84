import { describeIssues } from '@bulwark/protocol';
import type { FirewallConfiguration } from './firewall-configuration.js';
import type { FirewallSettings } from './firewall-settings.js';
import type { FirewallLists, FirewallRule } from './rule-schema.js';
import { validateLists, validateRule } from './rule-validator.js';

export interface AssignedFirewallRule {
  readonly id: string;
  readonly definition: unknown;
  readonly overrides: Readonly<Record<string, unknown>>;
}

/**
 * Builds the firewall's part of a computer's configuration from its effective settings and
 * assigned rules. Invalid rules are left out and listed in `rejected` with the reason, so one
 * bad rule never keeps the rest from being enforced; lists with bad entries are dropped likewise.
 */
export function buildConfiguration(
  settings: FirewallSettings,
  assigned: readonly AssignedFirewallRule[],
): FirewallConfiguration {
  const { enabled: _enabled, lists: rawLists, ...rest } = settings;
  const rejected: { ruleId: string; reason: string }[] = [];
  const listIssues = validateLists(rawLists);
  const badList = (kind: keyof FirewallLists, index: number) =>
    listIssues.some((i) => i.path.startsWith(`/${kind}/${index}/`));
  const lists: FirewallLists = {
    ipLists: rawLists.ipLists.filter((_, i) => !badList('ipLists', i)),
    macLists: rawLists.macLists.filter((_, i) => !badList('macLists', i)),
    portLists: rawLists.portLists.filter((_, i) => !badList('portLists', i)),
  };
  const rules: FirewallRule[] = [];
  const seen = new Set<string>();
  for (const a of [...assigned].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) {
    if (seen.has(a.id)) continue;
    seen.add(a.id);
    const definition =
      typeof a.definition === 'object' && a.definition !== null
        ? { ...a.definition, ...a.overrides, id: a.id }
        : a.definition;
    const checked = validateRule(definition, lists);
    if (checked.ok) rules.push(checked.value);
    else rejected.push({ ruleId: a.id, reason: describeIssues(checked.issues) });
  }
  return { settings: rest, rules, lists, rejected };
}
