export { IpsConfiguration } from './ips-configuration.js';
export {
  type CompiledIpsRules,
  compileIpsRules,
  IpsRule,
  MAX_PATTERN_CHARS,
  matchIpsRules,
  type RefusedRule,
} from './ips-rule.js';
