export { requestForTarget, unitsFromRequestBytes } from './http-replay.js';
export * from './ips-compile.js';
export { IpsConfiguration } from './ips-configuration.js';
export * from './ips-engine-contract.js';
export {
  createIpsInspector,
  type IpsFlowState,
  type IpsInspector,
  type IpsInspectorCounters,
  MAX_PENDING_REQUESTS,
} from './ips-inspector.js';
export { parseSuricataRule, type RuleParse, type SuricataRule } from './suricata-rule.js';
export { splitRulesFile } from './suricata-text.js';
export * from './suricata-variable-groups.js';
