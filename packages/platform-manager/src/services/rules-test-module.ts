import type { AssignedRule, Inventory, ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';

/**
 * A module for rule tests only: three built-in rules, a rule schema with a `mode`, a recommend
 * that reads the inventory's packages, and a compile that shows exactly the rules it was given.
 */
export const ruleTestModule: ManagerModule = {
  id: 'guard',
  name: 'Guard',
  description: 'Test module with rules',
  settings: Type.Object({ enabled: Type.Boolean({ default: true }) }, { additionalProperties: false }),
  ruleSchema: Type.Object(
    {
      id: Type.String(),
      name: Type.String({ minLength: 1 }),
      mode: Type.Union([Type.Literal('prevent'), Type.Literal('detect')]),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    },
    { additionalProperties: false },
  ),
  builtInRules: [
    { id: 'G-100', name: 'SSH brute force', mode: 'prevent', port: 22 },
    { id: 'G-200', name: 'nginx request smuggling', mode: 'prevent', port: 80 },
    { id: 'G-300', name: 'PostgreSQL auth failures', mode: 'detect', port: 5432 },
  ],
  recommend: (inventory: Inventory) => {
    const names = new Set(inventory.packages.map((p) => p.name));
    const ids: string[] = [];
    if (names.has('openssh-server')) ids.push('G-100');
    if (names.has('nginx')) ids.push('G-200');
    if (names.has('postgresql')) ids.push('G-300');
    // A rule id the catalogue does not have must be dropped by the scan.
    if (names.has('nginx')) ids.push('G-999');
    return ids;
  },
  compile: ({ rules }) => ({
    rules: rules.map((r: AssignedRule) => ({
      id: r.id,
      mode: (r.overrides.mode ?? (r.definition as { mode: string }).mode) as string,
    })),
  }),
};

export function inventoryWith(packages: readonly string[]): Inventory {
  return {
    collectedAt: '2026-01-01T00:00:00.000Z',
    hostname: 'web-1',
    os: { id: 'debian', name: 'Debian GNU/Linux', version: '12' },
    kernel: { release: '6.1.0-18-amd64', machine: 'x86_64' },
    packages: packages.map((name) => ({ name, version: '1.0', manager: 'dpkg' as const })),
    listeningPorts: [],
    services: [],
    users: [],
  };
}
