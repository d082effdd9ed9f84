/**
 * Rules shipped with the module, written by us. A test keeps every one loadable by the engine,
 * ids unique, and each with attack and benign samples.
 */
import type { IpsRule } from '../engine/index.js';
import { PROTOCOL_RULES } from './protocol-rules.js';
import { THREAT_RULES } from './threat-rules.js';
import { WEB_ATTACK_RULES } from './web-attack-rules.js';

export { HTTP_LIMITS_RULE_ID } from './protocol-rules.js';

export const BUILT_IN_RULES: readonly IpsRule[] = [...PROTOCOL_RULES, ...WEB_ATTACK_RULES, ...THREAT_RULES];
