import type { Command } from '../command.js';
import { accessCommands } from './access.js';
import { alertCommands } from './alerts.js';
import { computerCommands } from './computers.js';
import { computerManageCommands } from './computers-manage.js';
import { eventCommands } from './events.js';
import { forwardingCommands } from './forwarding.js';
import { policyCommands } from './policies.js';
import { recommendationCommands } from './recommendations.js';
import { ruleChangeCommands } from './rule-changes.js';
import { ruleCommands } from './rules.js';
import { settingCommands } from './settings.js';
import { tokenCommands } from './tokens.js';

/** Every command, in the order `bulwark --help` lists them. */
export const COMMANDS: readonly Command[] = [
  ...computerCommands,
  ...computerManageCommands,
  ...recommendationCommands,
  ...policyCommands,
  ...settingCommands,
  ...ruleCommands,
  ...ruleChangeCommands,
  ...tokenCommands,
  ...eventCommands,
  ...alertCommands,
  ...forwardingCommands,
  ...accessCommands,
];

export function groupsOf(commands: readonly Command[]): string[] {
  return [...new Set(commands.map((c) => c.group))];
}
