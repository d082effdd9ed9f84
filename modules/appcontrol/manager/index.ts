export { APPCONTROL_EVENT_TYPES, managerModule } from './appcontrol-definition.js';
export { AppcontrolSettings, DEFAULT_ROOTS } from './appcontrol-settings.js';
export { compileAppcontrol } from './compile.js';
export { allowRuleId, blockRuleId, softwareRuleId } from './software-rules.js';
