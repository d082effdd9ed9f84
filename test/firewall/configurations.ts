import type { FirewallRule, FirewallSettings } from '@bulwark/module-firewall/engine';
import { managerModule as firewallManager } from '@bulwark/module-firewall/manager';
import { type ModuleConfiguration, PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';

export const platform = (mode: 'inline' | 'tap' = 'inline'): PlatformSettings => ({
  ...Value.Create(PlatformSettings),
  networkEngineMode: mode,
});

/** The module configuration the manager would compile for these rules and setting overrides. */
export function moduleConfiguration(
  rules: readonly Partial<FirewallRule>[],
  overrides: Partial<FirewallSettings> = {},
): ModuleConfiguration {
  const settings = { ...Value.Create(firewallManager.settings), enabled: true, ...overrides };
  const configuration = firewallManager.compile({
    computerId: 'lab',
    settings,
    platform: platform(),
    rules: rules.map((r, i) => ({
      id: r.id ?? `r${i}`,
      definition: { name: r.id ?? `rule ${i}`, priority: 0, direction: 'incoming', ...r },
      overrides: {},
    })),
  });
  return { enabled: true, configuration };
}

/** Settings with reconnaissance off, for tests about rules alone. */
export const quiet: Partial<FirewallSettings> = {
  detectPortScans: false,
  detectNetworkSweeps: false,
  detectTcpProbes: false,
};
