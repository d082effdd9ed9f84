import type { AgentEvent, ManagerModule } from '@bulwark/protocol';
import { AppcontrolRule, checkAppcontrolRule } from '../engine/index.js';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { AppcontrolSettings } from './appcontrol-settings.js';
import { appcontrolCommands } from './commands.js';
import { compileAppcontrol, withOverrides } from './compile.js';
import { softwareInnerRule, softwareSilencingRule } from './software-rules.js';

/** The kinds of event the agent side emits. */
export const APPCONTROL_EVENT_TYPES = [
  'software-changed',
  'execution-blocked',
  'unrecognized-allowed',
  'inventory-built',
] as const;

/** The manager side of the module: what the platform's registry lists. */
export const managerModule: ManagerModule<typeof AppcontrolSettings> = {
  id: 'appcontrol',
  name: 'Application control',
  description:
    'Keeps an inventory of the software on each computer and blocks (or reports) software that is neither in it nor allowed by a ruleset, at exec time through fanotify.',
  settings: AppcontrolSettings,
  // Which directories the agent reads and hashes as root, and which mounts it holds.
  administratorSettings: ['roots', 'enforcedMounts'],
  ruleSchema: AppcontrolRule,
  builtInRules: BUILT_IN_RULES,
  compile: ({ settings, rules }) => compileAppcontrol(settings, rules),
  checkRule: (rule) => {
    const checked = checkAppcontrolRule(withOverrides(rule));
    return checked.ok ? [] : checked.issues;
  },
  commands: appcontrolCommands,
  snapshots: {
    noun: 'software-inventory',
    summary: "The manager's copy of the computer's software inventory (path, SHA-256, size)",
  },
  presentEvent: (event: AgentEvent) => ({
    title: event.summary.length > 120 ? `${event.summary.slice(0, 119)}…` : event.summary,
  }),
  eventTypes: APPCONTROL_EVENT_TYPES,
  innerRule: softwareInnerRule,
  silencingRule: softwareSilencingRule,
};
