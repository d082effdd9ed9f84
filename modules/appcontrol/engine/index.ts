export { AgentSettings, AppcontrolConfiguration, MAX_ROOTS, Mode } from './appcontrol-configuration.js';
export {
  AppcontrolRule,
  checkAppcontrolRule,
  MAX_RULE_HASHES,
  MAX_RULE_PATHS,
  type RefusedRule,
  ruleIdOf,
  Sha256,
} from './appcontrol-rule.js';
export {
  classifyExecutable,
  type ExecutableKind,
  HEAD_BYTES,
  isExecutableKind,
  MAX_SHEBANG_BYTES,
  parseElfHeader,
  parseShebang,
} from './executable-kind.js';
export {
  compileExecutionPolicy,
  type Decision,
  type DecisionReason,
  decideExecution,
  type ExecutionPolicy,
  type ExecutionSubject,
  inMaintenance,
  type Verdict,
} from './execution-policy.js';
export {
  type FileFacts,
  FileFactsCache,
  type FileStamp,
  MAX_CACHED_FILES,
  SETTLE_MS,
  settledAt,
} from './file-facts-cache.js';
export {
  INTERPRETER_PATTERNS,
  isInterpreter,
  isPackageManager,
  namedOnCommandLine,
  PACKAGE_MANAGER_NAMES,
  parseCommandLine,
  resolveArgument,
} from './interpreters.js';
export { LOCAL_FILESYSTEM_TYPES, localMountPoints } from './local-mounts.js';
export { compilePathPattern, MAX_PATH_PATTERN_CHARS } from './path-pattern.js';
export {
  type FileOwnership,
  ignorableUntilModified,
  type RememberedVerdict,
  rememberedVerdict,
} from './remembered-verdict.js';
export {
  diffInventories,
  type ExecutableKindName,
  type InventoryChange,
  type InventoryEntry,
  parseStoredInventory,
  serializeInventory,
} from './software-inventory.js';
