import { Value } from '@sinclair/typebox/value';
import type { FirewallConfiguration } from './firewall-configuration.js';
import { FirewallSettings } from './firewall-settings.js';
import type { FirewallRule } from './rule-schema.js';

/** Default settings without enabled/lists, as the configuration carries them. */
export function defaultSettings(
  overrides: Partial<FirewallConfiguration['settings']> = {},
): FirewallConfiguration['settings'] {
  const { enabled: _e, lists: _l, ...rest } = Value.Create(FirewallSettings);
  return { ...rest, ...overrides };
}

export function configuration(
  rules: readonly Partial<FirewallRule>[],
  settings: Partial<FirewallConfiguration['settings']> = {},
  lists: FirewallConfiguration['lists'] = { ipLists: [], macLists: [], portLists: [] },
): FirewallConfiguration {
  return {
    settings: defaultSettings(settings),
    rules: rules.map((r, i) => ({
      id: `r${i}`,
      name: `rule ${i}`,
      action: 'deny',
      priority: 0,
      direction: 'incoming',
      ...r,
    })),
    lists,
    rejected: [],
  };
}
