export { DevicecontrolConfiguration } from './devicecontrol-configuration.js';
export {
  type CompiledDevicecontrolRules,
  compileDevicecontrolRules,
  MAX_PATTERN_CHARS,
  matchDevicecontrolRules,
  type RefusedRule,
  DevicecontrolRule,
} from './devicecontrol-rule.js';
