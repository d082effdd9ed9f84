import type { AgentEvent, Inventory, ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import { compileIpsRules, type IpsConfiguration, IpsRule } from '../engine/index.js';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { IpsSettings } from './ips-settings.js';

/** Built-in rules as the catalogue lists them (the engine checks them; a test keeps them loadable). */
const builtInRules = BUILT_IN_RULES;

/** Rules whose inventory condition holds: a listening port or an installed package they name. */
function recommend(inventory: Inventory): string[] {
  const installed = new Set(inventory.packages.map((p) => p.name));
  const listening = new Set(inventory.listeningPorts.map((p) => p.port));
  return builtInRules
    .filter(
      (r) =>
        (r.recommendWhen?.packages ?? []).some((p) => installed.has(p)) ||
        (r.recommendWhen?.listeningPorts ?? []).some((p) => listening.has(p)),
    )
    .map((r) => r.id);
}

/** The manager side of the module: what the platform's registry lists. */
export const managerModule: ManagerModule<typeof IpsSettings> = {
  id: 'ips',
  name: 'Ips',
  description: 'A working example module: finds rule patterns in text given to its "check" command.',
  settings: IpsSettings,
  ruleSchema: IpsRule,
  builtInRules,
  recommend,
  compile: ({ rules }): IpsConfiguration => ({
    rules: rules.map((r) => ({ ...(r.definition as object), ...r.overrides })),
  }),
  // The agent's own validator, run before a rule is stored: what the host would refuse is
  // refused at the API instead of being dropped on the host.
  checkRule: (rule) =>
    compileIpsRules([{ rule: { ...(rule.definition as object), ...rule.overrides } as IpsRule }], {
      variables: {},
    }).refused.map((r) => ({
      path: '/',
      message: r.reason,
    })),
  commands: [
    {
      name: 'check',
      description: 'Look for the assigned rules in a text and report each match as an event',
      arguments: Type.Object({ text: Type.String({ maxLength: 65_536 }) }, { additionalProperties: false }),
      cli: {
        verb: 'check-ips',
        summary: 'Look for the ips rules in a text on the agent',
        options: [{ flag: 'text', argument: 'text', help: 'the text to look in' }],
      },
    },
  ],
  presentEvent: (event: AgentEvent) => ({ title: event.summary }),
};
