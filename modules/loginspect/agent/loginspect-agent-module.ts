import { rmSync } from 'node:fs';
import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  ModuleConfiguration,
  ModuleStatus,
  NewEvent,
  SourceCheckpoint,
} from '@bulwark/protocol';
import { describeIssues, parseWith } from '@bulwark/protocol';
import { LogInspectConfiguration } from '../engine/agent-configuration.js';
import { compileRuleset, formatProblem, LogInspectionEngine, type Verdict } from '../engine/index.js';
import type { FileSourceSettings } from '../engine/log-sources.js';
import { builtInRuleset } from '../rules/index.js';
import { CheckpointStore, fileBackedSourceSpool, type SourceCheckpoints } from './checkpoint-store.js';
import { commandsRefused } from './command-permission.js';
import { CommandSource } from './command-source.js';
import { FileSource } from './file-source.js';
import { type FileOwner, FileTable, type Tracked } from './file-table.js';
import { JournalSource } from './journal-source.js';
import type { LogRecord } from './multiline.js';
import { PatternBudget } from './pattern-budget.js';
import { DEFAULT_READ_ROOTS, ReadScope } from './read-scope.js';
import { RememberedKeys } from './remembered-keys.js';
import { IsoTimes, type LineOrigin, ruleMatchEvent } from './rule-match-event.js';
import { fileEntry, JOURNAL_KEY, SourcePositions } from './source-positions.js';
import { describeProblems, type SourceProblem } from './source-problem.js';
import { SourceRefusals } from './source-refusals.js';

const POLL_MS = 1000;

/** Holds the checkpoints of entries no longer configured, for the first scan. */
const LEFT_OVER: FileOwner = { key: '', rank: Number.MAX_SAFE_INTEGER, options: {} };

/** A record's place in its source, to commit with its event: `id` names the record, `entry` is the position after it. */
interface RecordPosition {
  readonly id: string;
  readonly entry: () => SourceCheckpoint;
}

export interface LogInspectAgentOptions {
  /** The journalctl program (tests use a fake one). */
  readonly journalctl?: string;
  /** How often files are polled. */
  readonly pollMs?: number;
  /** Where file sources may read without the host's opt-in; default DEFAULT_READ_ROOTS (tests use a scratch dir). */
  readonly readRoots?: readonly string[];
  /** Time one match of a backtracking pattern may take before its rule or decoder is disabled (pattern-budget.ts). */
  readonly patternBudgetMs?: number;
  /** The clock that budget is measured with (tests inject one). */
  readonly patternClock?: () => number;
}

/**
 * Follows the configured files, the journal and commands, runs every record through the engine
 * and turns alerts of the enabled groups at or above the minimum level into events.
 *
 * Positions (file offsets, the journal cursor) live in the event spool: each event goes with the
 * position just after its record, in the same commit, and after each poll the positions of
 * records that raised no event follow. A crash therefore neither repeats nor skips a record.
 * When the spool cannot store (a full disk) the record is kept back: reading stops there and the
 * next poll starts again at it, so nothing read is lost while the disk is full.
 */
class LogInspectAgentModule implements AgentModule {
  readonly id = 'loginspect';
  readonly #context: AgentModuleContext;
  readonly #options: LogInspectAgentOptions;
  /** The checkpoint file of older agents (or of tests without the spool), read once. */
  readonly #store: CheckpointStore;
  /** The engine's first-time-seen entries and ignore list, kept across restarts. */
  readonly #firstTimeSeen: RememberedKeys;
  readonly #ignoreList: RememberedKeys;
  readonly #positions: SourcePositions;
  /** Positions imported from an older agent's file: polls to wait (the spool commits meanwhile) before the file goes. */
  #importedFile = 0;
  #saved: SourceCheckpoints | undefined;
  #engine: LogInspectionEngine | undefined;
  /** The agent's first heartbeat of this run has ended (context.firstContact). */
  #contacted = false;
  #waitingForContact = false;
  /** Counts stops, so that a reading start deferred to the first contact does not outlive its configuration. */
  #generation = 0;
  #budget = new PatternBudget();
  #configuration: LogInspectConfiguration | undefined;
  #appliedKey = '';
  #files: FileSource[] = [];
  #table = new FileTable();
  #journal: JournalSource | undefined;
  #commands: CommandSource[] = [];
  #timer: NodeJS.Timeout | undefined;
  #setupProblems: SourceProblem[] = [];
  /** A configuration refused while an earlier one runs on: said in the status. */
  #rejected: string | undefined;
  #scope: ReadScope;
  readonly #refusals: SourceRefusals;
  /** The event of the record the spool did not take, offered again when that record comes back. */
  #unsent: { readonly id: string; readonly event: NewEvent } | undefined;
  /** The spool refused a record at the last poll: reading waits for room. */
  #spoolWaiting: SourceProblem | undefined;
  #status: ModuleStatus = { id: 'loginspect', state: 'off' };
  /**
   * Alerts that raise no event are counted by reason: a host whose built-in groups are not
   * assigned yet shows alerts and no events, and the status must say why.
   */
  readonly #counters = {
    lines: 0,
    alerts: 0,
    events: 0,
    alertsOfUnassignedGroups: 0,
    alertsBelowMinimumLevel: 0,
    truncatedLines: 0,
    rulesRefused: 0,
    decodersRefused: 0,
    /** Times a record was kept back because the spool could not store its event. */
    recordsKeptBack: 0,
  };
  readonly #isoTimes = new IsoTimes();

  constructor(context: AgentModuleContext, options: LogInspectAgentOptions) {
    this.#context = context;
    this.#options = options;
    this.#store = new CheckpointStore(context);
    this.#firstTimeSeen = new RememberedKeys(context, 'first-time-seen.json', 'first-time-seen rules start afresh');
    this.#ignoreList = new RememberedKeys(context, 'ignore-list.json', 'alerts ignored before come back');
    this.#positions = new SourcePositions(context.sourceSpool ?? fileBackedSourceSpool(context, this.#store));
    this.#scope = new ReadScope(options.readRoots ?? DEFAULT_READ_ROOTS, context.localOptions);
    this.#refusals = new SourceRefusals(context);
  }

  async apply(configuration: ModuleConfiguration): Promise<void> {
    this.#rejected = undefined;
    if (!configuration.enabled) {
      await this.stop();
      return;
    }
    const parsed = parseWith(LogInspectConfiguration, configuration.configuration);
    if (!parsed.ok) {
      const issues = describeIssues(parsed.issues);
      if (this.#engine) {
        // As the firewall keeps its table: a bad configuration must not end log inspection.
        this.#rejected = `configuration rejected, the previous one stays in force: ${issues}`;
        this.#context.log.warn(`loginspect: ${this.#rejected}`);
        this.#updateStatus();
        return;
      }
      await this.stop();
      this.#status = { id: this.id, state: 'error', reason: `configuration: ${issues}` };
      return;
    }
    const key = JSON.stringify(parsed.value);
    if (key === this.#appliedKey && this.#engine) {
      this.#updateStatus();
      return;
    }
    await this.stop();
    const c = parsed.value;
    const base = builtInRuleset();
    this.#budget = new PatternBudget({ budgetMs: this.#options.patternBudgetMs, now: this.#options.patternClock });
    const { ruleset, problems } = compileRuleset(
      {
        decoders: [
          ...base.decoders,
          ...c.custom.map((r) => ({ name: `${r.id}/decoders.xml`, content: r.decodersXml })),
        ],
        rules: [...base.rules, ...c.custom.map((r) => ({ name: `${r.id}/rules.xml`, content: r.rulesXml }))],
      },
      { guard: this.#budget.guard },
    );
    for (const p of problems) if (p.severity === 'error') this.#context.log.warn(`loginspect: ${formatProblem(p)}`);
    this.#setupProblems = [];
    // Refused whole, never loaded with a condition less: counted, and named in the agent log.
    this.#counters.rulesRefused = problems.filter((p) => /; (rule|duplicate) refused$/.test(p.message)).length;
    this.#counters.decodersRefused = problems.filter((p) => p.message.endsWith('; decoder refused')).length;
    if (this.#counters.rulesRefused + this.#counters.decodersRefused > 0)
      this.#setupProblems.push({
        source: 'ruleset',
        reason: `${this.#counters.rulesRefused} rules and ${this.#counters.decodersRefused} decoders refused (reasons in the agent log)`,
      });
    const firstTimeSeen = this.#firstTimeSeen.forNewEngine();
    if (firstTimeSeen.problem) this.#setupProblems.push({ source: 'first-time-seen', reason: firstTimeSeen.problem });
    const ignoreList = this.#ignoreList.forNewEngine();
    if (ignoreList.problem) this.#setupProblems.push({ source: 'ignore list', reason: ignoreList.problem });
    this.#engine = new LogInspectionEngine(ruleset, {
      utcOffsetMinutes: -new Date().getTimezoneOffset(),
      firstTimeSeen: firstTimeSeen.entries,
      ignoreList: ignoreList.entries,
    });
    this.#configuration = c;
    this.#appliedKey = key;
    if (!this.#saved) this.#saved = this.#loadPositions();
    const saved = this.#saved;
    const seen = new Set<string>();
    this.#table = new FileTable();
    this.#refusals.reset();
    for (const problem of this.#scope.problems) this.#setupProblems.push({ source: 'local options', reason: problem });
    for (const entry of c.sources.files) {
      const settings: FileSourceSettings = typeof entry === 'string' ? { path: entry } : entry;
      if (seen.has(settings.path)) continue;
      seen.add(settings.path);
      const refused = this.#scope.refusesPattern(settings.path);
      if (refused) {
        this.#setupProblems.push({ source: settings.path, reason: refused });
        this.#refusals.tell({ source: settings.path, reason: refused });
        continue;
      }
      try {
        // Listed first, ranked first: of several entries matching one file, the first reads it.
        const source = new FileSource(settings, { table: this.#table, rank: this.#files.length, scope: this.#scope });
        source.restore(saved.files[settings.path]);
        this.#files.push(source);
      } catch (error) {
        this.#setupProblems.push({ source: settings.path, reason: `not followed: ${(error as Error).message}` });
      }
    }
    // Checkpoints of entries no longer listed (an entry renamed, a glob rewritten): a file a
    // listed entry now matches continues where it was, instead of being read again from 0.
    const leftOver = Object.entries(saved.files).flatMap(([key, list]) => (seen.has(key) ? [] : list));
    this.#table.setSaved(LEFT_OVER, leftOver);
    if (c.sources.journald) {
      this.#journal = new JournalSource({
        command: this.#options.journalctl,
        start: c.sources.journalStart ?? 'now',
        units: c.sources.journalUnits,
        cursor: saved.journalCursor,
        onRecord: (r) =>
          this.#inspect(
            r.line,
            r.location,
            r.time,
            { source: 'journald', unit: r.unit },
            { id: `journal:${r.cursor}`, entry: () => ({ key: JOURNAL_KEY, value: r.cursor }) },
          ),
      });
    }
    const commands = c.sources.commands ?? [];
    const refused = commands.length > 0 ? commandsRefused(this.#context.localOptions) : undefined;
    if (refused) {
      this.#setupProblems.push({
        source: 'commands',
        reason: `${commands.length === 1 ? 'command source' : `${commands.length} command sources`} (${commands
          .map((x) => x.name)
          .join(', ')}) not run: ${refused}`,
      });
    }
    for (const command of refused ? [] : commands) {
      const source = new CommandSource(command, (record, location) =>
        this.#inspect(record.text, location, Date.now(), { source: 'command', truncated: record.truncated }),
      );
      this.#commands.push(source);
    }
    this.#status = { id: this.id, state: 'on' };
    const firstContact = this.#context.firstContact;
    // Only saved positions make a backlog; on a first start files are read from their end.
    const backlog = Object.keys(saved.files).length > 0 || saved.journalCursor !== undefined;
    if (firstContact === undefined || this.#contacted || !backlog) {
      this.#startReading();
      return;
    }
    // At the agent's start, the heartbeat goes first: a backlog of hostile lines must not keep
    // the agent from reaching its manager (the sources keep their place meanwhile).
    const generation = this.#generation;
    this.#waitingForContact = true;
    this.#updateStatus();
    void firstContact.then(() => {
      this.#contacted = true;
      if (generation === this.#generation && this.#engine) this.#startReading();
    });
  }

  #startReading(): void {
    this.#waitingForContact = false;
    this.#journal?.start();
    for (const source of this.#commands) source.start();
    this.poll();
    this.#timer = setInterval(() => this.poll(), this.#options.pollMs ?? POLL_MS);
    this.#timer.unref();
  }

  /** Reads what the files gained since the last poll and hands the positions to the spool; exposed for tests. */
  poll(): void {
    if (!this.#engine) return;
    const now = Date.now();
    const out = (record: LogRecord, path: string, file: Tracked): boolean => {
      const position: RecordPosition = {
        id: `file:${file.dev}:${file.ino}:${record.end}`,
        entry: () =>
          fileEntry(file.owner.key, {
            path: file.path,
            dev: file.dev,
            ino: file.ino,
            offset: record.end,
            fingerprintBytes: file.fingerprint.bytes,
            fingerprint: file.fingerprint.hash,
          }),
      };
      const taken = this.#inspect(record.text, path, now, { source: 'file', truncated: record.truncated }, position);
      if (taken && record.truncated) this.#counters.truncatedLines++;
      return taken;
    };
    // Every source finds its files first (in list order, which decides who reads a shared file), then each file is read once.
    for (const source of this.#files) {
      try {
        source.scan(now, out);
      } catch (error) {
        this.#context.log.error(`loginspect: scanning ${source.key} failed: ${(error as Error).message}`);
      }
    }
    // Only files already there at the first scan are taken for those left over.
    this.#table.setSaved(LEFT_OVER, []);
    try {
      this.#table.read(now, out);
    } catch (error) {
      this.#context.log.error(`loginspect: reading log files failed: ${(error as Error).message}`);
    }
    if (!this.#table.blocked) this.#spoolWaiting = undefined;
    this.#positions.advance(this.#snapshot());
    this.#saveRemembered();
    if (this.#importedFile > 0 && !this.#spoolWaiting && --this.#importedFile === 0) {
      // Handed to the spool a poll ago, committed since: the older agent's file has served.
      rmSync(this.#store.path, { force: true });
    }
    for (const source of this.#files) this.#refusals.tellAll(source.problems);
    this.#updateStatus();
  }

  /** The positions in the spool; on the first start after an upgrade, those of the older agent's file. */
  #loadPositions(): SourceCheckpoints {
    let loaded = this.#positions.load();
    if (this.#positions.empty && this.#context.sourceSpool) {
      const legacy = this.#store.load();
      if (legacy.problem) loaded = { ...loaded, problem: legacy.problem };
      if (Object.keys(legacy.checkpoints.files).length > 0 || legacy.checkpoints.journalCursor !== undefined) {
        loaded = legacy;
        this.#positions.advance(legacy.checkpoints);
        this.#importedFile = 2;
      }
    }
    if (loaded.problem) {
      this.#context.log.warn(`loginspect: ${loaded.problem}`);
      this.#setupProblems.push({ source: 'checkpoints', reason: loaded.problem });
    }
    return loaded.checkpoints;
  }

  #snapshot(): SourceCheckpoints {
    const files: SourceCheckpoints['files'] = {};
    for (const source of this.#files) files[source.key] = source.checkpoint();
    const cursor = this.#journal?.cursor;
    return cursor === undefined ? { version: 1, files } : { version: 1, files, journalCursor: cursor };
  }

  /** First-time-seen entries and ignore-list entries the engine added since the last save. */
  #saveRemembered(): void {
    this.#firstTimeSeen.save(this.#engine?.firstTimeSeen);
    this.#ignoreList.save(this.#engine?.ignoreList);
  }

  #updateStatus(): void {
    if (this.#status.state !== 'on') return;
    const problems = describeProblems(this.#problems());
    const reason = [this.#rejected, problems].filter((x) => x !== undefined && x !== '').join('; ');
    this.#status = reason === '' ? { id: this.id, state: 'on' } : { id: this.id, state: 'on', reason };
  }

  #problems(): SourceProblem[] {
    const out = [...this.#setupProblems, ...this.#budget.problems()];
    for (const s of this.#files) out.push(...s.problems);
    if (this.#journal?.problem) out.push(this.#journal.problem);
    for (const c of this.#commands) if (c.problem) out.push(c.problem);
    if (this.#spoolWaiting) out.push(this.#spoolWaiting);
    if (this.#waitingForContact)
      out.push({ source: 'sources', reason: 'reading starts once the agent has reached its manager' });
    return out;
  }

  /**
   * Runs one record through the engine and spools the event it raises, if any, with the
   * record's position. False when the spool did not take the event: the source keeps the record
   * to offer it again, and then its event is sent as it was (the engine, which counts records for
   * its correlation rules, does not see the record twice).
   */
  #inspect(line: string, location: string, time: number, origin: LineOrigin, position?: RecordPosition): boolean {
    const engine = this.#engine;
    const c = this.#configuration;
    if (!engine || !c) return true;
    const unsent = this.#unsent;
    if (position && unsent?.id === position.id) return this.#send(unsent.event, position);
    this.#counters.lines++;
    let v: Verdict;
    try {
      v = engine.process({ line, location, time });
    } catch (error) {
      this.#context.log.error(`loginspect: engine failure on a line from ${location}: ${(error as Error).message}`);
      return true;
    }
    this.#budget.report(this.#context);
    const rule = v.rule;
    if (!v.alert || !rule) return true;
    this.#counters.alerts++;
    const group = rule.groups[0] ?? '';
    const builtIn = rule.id >= 100000 && rule.id < 102000;
    if (builtIn && !c.builtInGroups.includes(group)) {
      this.#counters.alertsOfUnassignedGroups++;
      return true;
    }
    if (rule.level < c.minimumLevel) {
      this.#counters.alertsBelowMinimumLevel++;
      return true;
    }
    const event = ruleMatchEvent(engine, v, origin, this.#isoTimes);
    if (position) return this.#send(event, position);
    // Command output cannot be read again: an event the spool refuses is lost (and counted there).
    this.#counters.events++;
    this.#context.emit(event);
    return true;
  }

  #send(event: NewEvent, position: RecordPosition): boolean {
    const outcome = this.#positions.emit(event, position.entry());
    if (outcome.kind === 'full') {
      this.#unsent = { id: position.id, event };
      this.#counters.recordsKeptBack++;
      this.#spoolWaiting = {
        source: 'spool',
        reason: `waiting: ${outcome.reason}; reading continues at the first record not stored once it can`,
      };
      return false;
    }
    this.#unsent = undefined;
    this.#counters.events++;
    return true;
  }

  async stop(): Promise<void> {
    this.#generation++;
    this.#waitingForContact = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([this.#journal?.stop(), ...this.#commands.map((c) => c.stop())]);
    if (this.#engine) {
      // Sources rebuilt by the next apply continue from here; the agent commits the spool after its modules stopped.
      this.#saved = this.#snapshot();
      this.#positions.advance(this.#saved);
      this.#saveRemembered();
    }
    for (const source of this.#files) source.close();
    this.#files = [];
    this.#journal = undefined;
    this.#commands = [];
    this.#unsent = undefined;
    this.#spoolWaiting = undefined;
    this.#engine = undefined;
    this.#appliedKey = '';
    this.#status = { id: this.id, state: 'off' };
  }

  status(): ModuleStatus {
    const counters: Record<string, number> = { ...this.#counters, patternsDisabled: this.#budget.disabledCount };
    counters.filesFollowed = this.#files.reduce((n, s) => n + s.followedFiles, 0);
    counters.sourceProblems = this.#problems().length;
    if (this.#journal) counters.journalEntries = this.#journal.counters.entries;
    if (this.#commands.length > 0) counters.commandRuns = this.#commands.reduce((n, c) => n + c.counters.runs, 0);
    return { ...this.#status, counters };
  }
}

export function createLogInspectAgentFactory(options: LogInspectAgentOptions = {}): AgentModuleFactory {
  return { id: 'loginspect', create: (context) => new LogInspectAgentModule(context, options) };
}

export const agentModule: AgentModuleFactory = createLogInspectAgentFactory();
