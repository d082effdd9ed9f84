/**
 * PCRE2 patterns translated to JavaScript, with the backtracking guard that bounds their time.
 * Shared by the engines that load others' rule formats (log inspection's Wazuh/OSSEC rules,
 * intrusion prevention's Suricata rules); kept apart from the protocol's main export because
 * the guard sets a V8 flag for the process when first used.
 */
export { enableBacktrackingGuard, runsInLinearTime } from './backtrack-guard.js';
export { type Pcre2Options, type Pcre2Result, type Pcre2Translation, translatePcre2 } from './pcre2.js';
