import { IntegrityRule, IntegritySettings } from '@bulwark/module-integrity/engine';
import type { ManagerModule } from '@bulwark/protocol';
import { loadBuiltInRules } from './built-in-rules.js';
import { checkIntegrityRule } from './check-rule.js';
import { integrityCommands } from './commands.js';
import { compileIntegrity } from './compile.js';
import { recommendRules } from './recommend.js';

export { loadBuiltInRules, readRuleFile } from './built-in-rules.js';
export { checkIntegrityRule } from './check-rule.js';
export { compileIntegrity } from './compile.js';
export { recommendRules, ruleRecommendedFor } from './recommend.js';

const builtInRules = loadBuiltInRules();

export const integrityModule: ManagerModule<typeof IntegritySettings> = {
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
  presentEvent: (event) => ({ title: event.summary.length > 120 ? `${event.summary.slice(0, 119)}…` : event.summary }),
  // One per kind of change (change-event.ts), and the two the scanner reports about itself.
  eventTypes: ['created', 'updated', 'deleted', 'renamed', 'baseline-built', 'changes-truncated'],
};
