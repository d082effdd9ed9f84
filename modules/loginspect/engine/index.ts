export type { ClockParts } from './calendar.js';
export { type CdbList, parseCdbList } from './cdb-list.js';
export type { Decoder } from './decoder.js';
export { type EngineOptions, type LogInput, LogInspectionEngine, type Verdict } from './engine.js';
export type { LogEvent } from './event.js';
export { fieldValue } from './event.js';
export { translateOsMatch, translateOsRegex, translatePcre2 } from './os-regex.js';
export { compileMatcher, type Matcher, type PatternSyntax } from './pattern.js';
export type { GuardedOwner, PatternGuard } from './pattern-guard.js';
export { formatProblem, type RulesetProblem } from './problem.js';
export type { Rule } from './rule.js';
export {
  compileRuleset,
  type Ruleset,
  type RulesetFile,
  type RulesetInput,
  type RulesetOptions,
  type RulesetResult,
} from './ruleset.js';
export { preDecode, type SyslogHeader } from './syslog-header.js';
export { parseXml, type XmlElement, type XmlResult } from './xml.js';
