import type { Command } from '../command.js';
import { accessCommands } from './access.js';
import { alertCommands } from './alerts.js';
import { computerCommands } from './computers.js';
import { eventCommands } from './events.js';
import { policyCommands } from './policies.js';
import { ruleCommands } from './rules.js';
import { settingCommands } from './settings.js';
import { tokenCommands } from './tokens.js';

/** Every command, in the order `bulwark --help` lists them. */
export const COMMANDS: readonly Command[] = [
  ...computerCommands,
  ...policyCommands,
  ...settingCommands,
  ...ruleCommands,
  ...tokenCommands,
  ...eventCommands,
  ...alertCommands,
  ...accessCommands,
];

export function groupsOf(commands: readonly Command[]): string[] {
  return [...new Set(commands.map((c) => c.group))];
}
