import type { AgentEvent, Inventory, ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import { compileAppcontrolRules, type AppcontrolConfiguration, AppcontrolRule } from '../engine/index.js';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { AppcontrolSettings } from './appcontrol-settings.js';

/** Built-in rules as the catalogue lists them (the engine checks them; a test keeps them loadable). */
const builtInRules = compileAppcontrolRules(BUILT_IN_RULES).rules.map((r) => r.rule);

/** Rules whose `recommendedFor` package is installed on the host. */
function recommend(inventory: Inventory): string[] {
  const installed = new Set(inventory.packages.map((p) => p.name));
  return builtInRules.filter((r) => r.recommendedFor !== undefined && installed.has(r.recommendedFor)).map((r) => r.id);
}

/** The manager side of the module: what the platform's registry lists. */
export const managerModule: ManagerModule<typeof AppcontrolSettings> = {
  id: 'appcontrol',
  name: 'Appcontrol',
  description: 'A working example module: finds rule patterns in text given to its "check" command.',
  settings: AppcontrolSettings,
  ruleSchema: AppcontrolRule,
  builtInRules,
  recommend,
  compile: ({ rules }): AppcontrolConfiguration => ({
    rules: rules.map((r) => ({ ...(r.definition as object), ...r.overrides })),
  }),
  // The agent's own validator, run before a rule is stored: what the host would refuse is
  // refused at the API instead of being dropped on the host.
  checkRule: (rule) =>
    compileAppcontrolRules([{ ...(rule.definition as object), ...rule.overrides }]).refused.map((r) => ({
      path: '/',
      message: r.reason,
    })),
  commands: [
    {
      name: 'check',
      description: 'Look for the assigned rules in a text and report each match as an event',
      arguments: Type.Object({ text: Type.String({ maxLength: 65_536 }) }, { additionalProperties: false }),
      cli: {
        verb: 'check-appcontrol',
        summary: 'Look for the appcontrol rules in a text on the agent',
        options: [{ flag: 'text', argument: 'text', help: 'the text to look in' }],
      },
    },
  ],
  presentEvent: (event: AgentEvent) => ({ title: event.summary }),
};
