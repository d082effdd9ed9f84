import { compileIpsRules } from '../engine/index.js';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { createIpsManagerModule } from './ips-definition.js';

export { presentIpsEvent } from './event-presentation.js';
export { createIpsManagerModule, type IpsManagerEngine } from './ips-definition.js';
export { IpsSettings } from './ips-settings.js';
export { ruleVariables } from './ips-variables.js';
export { readSuricataRule, splitRuleFile } from './suricata-import.js';

/** The manager side of the module, for the manager's registry. */
export const managerModule = createIpsManagerModule({ compileIpsRules }, BUILT_IN_RULES);
