import type { ManagerModule } from '@bulwark/protocol';
import { recommendedGroups, ruleGroupDescriptions } from '../rules/index.js';
import { checkLogInspectRule } from './check-rule.js';
import { checkLogInspectSetting } from './check-setting.js';
import { builtInInnerRules } from './inner-rules.js';
import { compileLogInspect } from './loginspect-configuration.js';
import { LogInspectRule, LogInspectSettings } from './loginspect-settings.js';
import { loginspectSiemFields } from './siem-fields.js';

export {
  CommandSourceSettings,
  FileSourceSettings,
  LogSources,
  MultilineSettings,
  multilineRegExp,
} from '../engine/log-sources.js';
export { compileLogInspect } from './loginspect-configuration.js';
export {
  DEFAULT_LOG_FILES,
  LogInspectConfiguration,
  LogInspectRule,
  LogInspectSettings,
} from './loginspect-settings.js';

const descriptions = ruleGroupDescriptions();
const knownGroups = new Set(Object.keys(descriptions));
const innerRules = builtInInnerRules(knownGroups);

/** One assignable rule per built-in rule group: `loginspect.<group>`. */
const builtInRules = Object.entries(descriptions).map(([group, description]) => ({
  id: `loginspect.${group}`,
  group,
  description,
}));

export const managerModule: ManagerModule<typeof LogInspectSettings> = {
  id: 'loginspect',
  name: 'Log inspection',
  description:
    'Reads system and application logs (files and the journal) and raises events for attacks and risky changes: brute force, privilege use, account changes, crashes, web attacks; runs OSSEC/Wazuh-format decoders and rules.',
  settings: LogInspectSettings,
  // Which files and commands the agent reads as root and ships to the manager (issue 10, item 1).
  administratorSettings: ['sources'],
  ruleSchema: LogInspectRule,
  builtInRules,
  recommend: (inventory) => {
    const groups = recommendedGroups({
      packages: inventory.packages.map((p) => p.name),
      services: inventory.services.map((s) => s.name),
    });
    return builtInRules.filter((r) => groups.has(r.group)).map((r) => r.id);
  },
  compile: ({ settings, rules }) => compileLogInspect(settings, rules, knownGroups),
  checkRule: checkLogInspectRule,
  checkSetting: checkLogInspectSetting,
  presentEvent: (event) => ({ title: event.summary.length > 120 ? `${event.summary.slice(0, 119)}…` : event.summary }),
  siemFields: loginspectSiemFields,
  eventTypes: ['rule-match', 'source-refused', 'pattern-disabled'],
  innerRule: innerRules.innerRule,
  silencingRule: innerRules.silencingRule,
};
export { builtInRuleset } from '../rules/index.js';
