export { decideOnCertificate, MAX_CERTIFICATE_NAMES_DECIDED, WILDCARD_LABEL } from './certificate-decision.js';
export { CompiledReputation, compileReputation } from './compiled-reputation.js';
export {
  type CsvMapping,
  csvFields,
  type ImportError,
  type ImportedEntry,
  type ImportResult,
  importList,
  LIST_FORMATS,
  type ListFormat,
  MAX_IMPORT_ERRORS,
  parseReputationFeed,
} from './list-importers.js';
export { StringTable } from './string-table.js';
export { NO_ENTRY, TargetIndex } from './target-index.js';
export { addressBytes, describeTarget, normaliseHost, parseTarget, type TargetPattern } from './target-pattern.js';
export {
  type RefusedEntry,
  type Verdict,
  type VerdictSource,
  WebReputation,
  type WebTarget,
} from './web-reputation.js';
export {
  MAX_LIST_ENTRIES,
  SECURITY_LEVEL_THRESHOLDS,
  type SecurityLevel,
  WebrepConfiguration,
  WebrepListEntries,
} from './webrep-configuration.js';
export { blockPage, type WebrepFinding, type WebrepFlowState, webrepInspector } from './webrep-inspector.js';
