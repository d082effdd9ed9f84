export { CheckpointStore, type SourceCheckpoints } from './checkpoint-store.js';
export { CommandSource } from './command-source.js';
export { FileSource, type FileSourceOptions, type SharedFiles } from './file-source.js';
export { FileTable } from './file-table.js';
export { type JournalParse, type JournalRecord, parseJournalLine } from './journal-entry.js';
export { JournalSource } from './journal-source.js';
export { LineSplitter, type SplitLine } from './line-splitter.js';
export {
  agentModule,
  createLogInspectAgentFactory,
  type LogInspectAgentOptions,
} from './loginspect-agent-module.js';
export { type LogRecord, MultilineJoiner } from './multiline.js';
export { expandGlob } from './path-glob.js';
export { type LineOrigin, ruleMatchEvent, severityOf } from './rule-match-event.js';
export { openLogFile } from './safe-open.js';
