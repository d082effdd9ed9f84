import { managerModules } from '../../modules/registry.js';
import type { Command } from '../command.js';
import { accessCommands } from './access.js';
import { alertCommands } from './alerts.js';
import { computerCommands } from './computers.js';
import { moduleCommandVerbs } from './computers-commands.js';
import { computerManageCommands } from './computers-manage.js';
import { snapshotCommands } from './computers-snapshots.js';
import { eventCommands } from './events.js';
import { forwardingCommands } from './forwarding.js';
import { listCommands } from './lists.js';
import { policyCommands } from './policies.js';
import { recommendationCommands } from './recommendations.js';
import { ruleChangeCommands } from './rule-changes.js';
import { ruleCommands } from './rules.js';
import { settingCommands } from './settings.js';
import { tokenCommands } from './tokens.js';
import { updateCommands } from './updates.js';

/**
 * Every command, in the order `bulwark --help` lists them. The modules' own verbs (`computers
 * scan-integrity`, `computers baseline`, …) come from what each module declares in the registry.
 */
export const COMMANDS: readonly Command[] = [
  ...computerCommands,
  ...moduleCommandVerbs(managerModules),
  ...snapshotCommands(managerModules),
  ...computerManageCommands,
  ...recommendationCommands,
  ...policyCommands,
  ...settingCommands,
  ...listCommands(managerModules),
  ...ruleCommands,
  ...ruleChangeCommands,
  ...tokenCommands,
  ...eventCommands,
  ...alertCommands,
  ...forwardingCommands,
  ...updateCommands,
  ...accessCommands,
];

export function groupsOf(commands: readonly Command[]): string[] {
  return [...new Set(commands.map((c) => c.group))];
}
