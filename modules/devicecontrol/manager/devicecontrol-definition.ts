import type { AgentEvent, Inventory, ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import { compileDevicecontrolRules, type DevicecontrolConfiguration, DevicecontrolRule } from '../engine/index.js';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { DevicecontrolSettings } from './devicecontrol-settings.js';

/** Built-in rules as the catalogue lists them (the engine checks them; a test keeps them loadable). */
const builtInRules = compileDevicecontrolRules(BUILT_IN_RULES).rules.map((r) => r.rule);

/** Rules whose `recommendedFor` package is installed on the host. */
function recommend(inventory: Inventory): string[] {
  const installed = new Set(inventory.packages.map((p) => p.name));
  return builtInRules.filter((r) => r.recommendedFor !== undefined && installed.has(r.recommendedFor)).map((r) => r.id);
}

/** The manager side of the module: what the platform's registry lists. */
export const managerModule: ManagerModule<typeof DevicecontrolSettings> = {
  id: 'devicecontrol',
  name: 'Devicecontrol',
  description: 'A working example module: finds rule patterns in text given to its "check" command.',
  settings: DevicecontrolSettings,
  ruleSchema: DevicecontrolRule,
  builtInRules,
  recommend,
  compile: ({ rules }): DevicecontrolConfiguration => ({
    rules: rules.map((r) => ({ ...(r.definition as object), ...r.overrides })),
  }),
  // The agent's own validator, run before a rule is stored: what the host would refuse is
  // refused at the API instead of being dropped on the host.
  checkRule: (rule) =>
    compileDevicecontrolRules([{ ...(rule.definition as object), ...rule.overrides }]).refused.map((r) => ({
      path: '/',
      message: r.reason,
    })),
  commands: [
    {
      name: 'check',
      description: 'Look for the assigned rules in a text and report each match as an event',
      arguments: Type.Object({ text: Type.String({ maxLength: 65_536 }) }, { additionalProperties: false }),
      cli: {
        verb: 'check-devicecontrol',
        summary: 'Look for the devicecontrol rules in a text on the agent',
        options: [{ flag: 'text', argument: 'text', help: 'the text to look in' }],
      },
    },
  ],
  presentEvent: (event: AgentEvent) => ({ title: event.summary }),
};
