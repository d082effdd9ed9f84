import type { ManagerModule } from '@bulwark/protocol';
import { IntegrityRule, IntegritySettings } from '../engine/index.js';
import { loadBuiltInRules } from './built-in-rules.js';
import { checkIntegrityRule } from './check-rule.js';
import { integrityCommands } from './commands.js';
import { compileIntegrity } from './compile.js';
import { recommendRules } from './recommend.js';
import { integritySiemFields } from './siem-fields.js';

export { loadBuiltInRules, readRuleFile } from './built-in-rules.js';
export { checkIntegrityRule } from './check-rule.js';
export { compileIntegrity } from './compile.js';
export { recommendRules, ruleRecommendedFor } from './recommend.js';

const builtInRules = loadBuiltInRules();

export const managerModule: ManagerModule<typeof IntegritySettings> = {
  id: 'integrity',
  name: 'Integrity monitoring',
  description:
    'Detects changes to files, packages, services, listening ports, users, groups and kernel modules against a baseline, by scans and in real time.',
  settings: IntegritySettings,
  ruleSchema: IntegrityRule,
  builtInRules,
  recommend: (inventory) => recommendRules(builtInRules, inventory),
  compile: ({ settings, rules }) => compileIntegrity(settings, rules),
  checkRule: checkIntegrityRule,
  commands: integrityCommands,
  snapshots: {
    noun: 'baseline',
    summary: "The manager's copy of the computer's integrity baselines: rules, or one rule's entries",
  },
  presentEvent: (event) => ({ title: event.summary.length > 120 ? `${event.summary.slice(0, 119)}…` : event.summary }),
  siemFields: integritySiemFields,
  // One per kind of change (change-event.ts), and the two the scanner reports about itself.
  eventTypes: ['created', 'updated', 'deleted', 'renamed', 'baseline-built', 'changes-truncated'],
};
