export { AppcontrolConfiguration } from './appcontrol-configuration.js';
export {
  type CompiledAppcontrolRules,
  compileAppcontrolRules,
  MAX_PATTERN_CHARS,
  matchAppcontrolRules,
  type RefusedRule,
  AppcontrolRule,
} from './appcontrol-rule.js';
