import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  LocalOptions,
  ModuleConfiguration,
  ModuleStatus,
} from '@bulwark/protocol';
import { describeIssues, parseWith } from '@bulwark/protocol';
import { compileRuleset, formatProblem, LogInspectionEngine, type Verdict } from '../engine/index.js';
import { LogInspectConfiguration } from '../manager/loginspect-settings.js';
import type { FileSourceSettings } from '../manager/loginspect-sources.js';
import { builtInRuleset } from '../rules/index.js';
import { CheckpointStore, type SourceCheckpoints } from './checkpoint-store.js';
import { CommandSource } from './command-source.js';
import { FileSource } from './file-source.js';
import { type FileOwner, FileTable } from './file-table.js';
import { FirstTimeSeenStore } from './first-time-seen-store.js';
import { JournalSource } from './journal-source.js';
import type { LogRecord } from './multiline.js';
import { IsoTimes, type LineOrigin, ruleMatchEvent } from './rule-match-event.js';
import { describeProblems, type SourceProblem } from './source-problem.js';

const POLL_MS = 1000;

/** Holds the checkpoints of entries no longer configured, for the first scan. */
const LEFT_OVER: FileOwner = { rank: Number.MAX_SAFE_INTEGER, options: {} };

/** The local option a host's administrator sets to let the manager's command sources run here. */
export const REMOTE_COMMANDS_OPTION = 'loginspect.remoteCommands';

/**
 * Why the manager's command sources may not run on this host, or undefined when they may.
 * Commands run as root on every host of a policy: a manager account alone must not be enough
 * (OSSEC's `logcollector.remote_commands`), so the host's administrator opts in locally.
 */
function commandsRefused(local: LocalOptions | undefined): string | undefined {
  const value = local?.get(REMOTE_COMMANDS_OPTION)?.trim().toLowerCase();
  if (value === '1' || value === 'true' || value === 'yes') return undefined;
  const file = local?.source ?? '/etc/bulwark/agent.conf';
  const unusable = local?.problem ? ` (${file} is not used now: ${local.problem})` : '';
  return (
    `this host does not allow commands from the manager${unusable}; to allow them, add the line ` +
    `"${REMOTE_COMMANDS_OPTION} = 1" to ${file} (owned by root, not writable by others) and restart the agent`
  );
}

export interface LogInspectAgentOptions {
  /** The journalctl program (tests use a fake one). */
  readonly journalctl?: string;
  /** How often files are polled. */
  readonly pollMs?: number;
}

/**
 * Follows the configured files, the journal and commands, runs every record through the engine
 * and turns alerts of the enabled groups at or above the minimum level into events.
 *
 * Checkpoints (file offsets, the journal cursor) are saved one poll behind what was read: emit()
 * hands an event to the spool, which commits it within its flush delay (20 ms by default) but
 * offers no way to wait for that. A checkpoint written a poll (a second) later only covers events
 * already on disk, so a crash repeats at most a poll's worth of lines and never loses one. stop()
 * saves the exact position: the agent closes (commits) the spool after its modules stopped.
 */
class LogInspectAgentModule implements AgentModule {
  readonly id = 'loginspect';
  readonly #context: AgentModuleContext;
  readonly #options: LogInspectAgentOptions;
  readonly #store: CheckpointStore;
  readonly #firstTimeSeenStore: FirstTimeSeenStore;
  /** First-time-seen entries carried from one engine to the next, and the engine's count when saved. */
  #firstTimeSeen: string[] | undefined;
  #firstTimeSeenSaved = 0;
  #saved: SourceCheckpoints | undefined;
  #engine: LogInspectionEngine | undefined;
  #configuration: LogInspectConfiguration | undefined;
  #appliedKey = '';
  #files: FileSource[] = [];
  #table = new FileTable();
  #journal: JournalSource | undefined;
  #commands: CommandSource[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The checkpoints of the previous poll, written at the next one. */
  #lagging: SourceCheckpoints | undefined;
  #setupProblems: SourceProblem[] = [];
  #saveProblem: SourceProblem | undefined;
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
  };
  readonly #isoTimes = new IsoTimes();

  constructor(context: AgentModuleContext, options: LogInspectAgentOptions) {
    this.#context = context;
    this.#options = options;
    this.#store = new CheckpointStore(context);
    this.#firstTimeSeenStore = new FirstTimeSeenStore(context);
  }

  async apply(configuration: ModuleConfiguration): Promise<void> {
    if (!configuration.enabled) {
      await this.stop();
      return;
    }
    const parsed = parseWith(LogInspectConfiguration, configuration.configuration);
    if (!parsed.ok) {
      await this.stop();
      this.#status = { id: this.id, state: 'error', reason: `configuration: ${describeIssues(parsed.issues)}` };
      return;
    }
    const key = JSON.stringify(parsed.value);
    if (key === this.#appliedKey && this.#engine) return;
    await this.stop();
    const c = parsed.value;
    const base = builtInRuleset();
    const { ruleset, problems } = compileRuleset({
      decoders: [...base.decoders, ...c.custom.map((r) => ({ name: `${r.id}/decoders.xml`, content: r.decodersXml }))],
      rules: [...base.rules, ...c.custom.map((r) => ({ name: `${r.id}/rules.xml`, content: r.rulesXml }))],
    });
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
    if (this.#firstTimeSeen === undefined) {
      const loaded = this.#firstTimeSeenStore.load();
      this.#firstTimeSeen = loaded.entries;
      if (loaded.problem) this.#setupProblems.push({ source: 'first-time-seen', reason: loaded.problem });
    }
    this.#engine = new LogInspectionEngine(ruleset, {
      utcOffsetMinutes: -new Date().getTimezoneOffset(),
      firstTimeSeen: this.#firstTimeSeen,
    });
    this.#firstTimeSeenSaved = 0;
    this.#configuration = c;
    this.#appliedKey = key;
    if (!this.#saved) {
      const loaded = this.#store.load();
      this.#saved = loaded.checkpoints;
      if (loaded.problem) {
        this.#context.log.warn(`loginspect: ${loaded.problem}`);
        this.#setupProblems.push({ source: 'checkpoints', reason: loaded.problem });
      }
    }
    const saved = this.#saved;
    const seen = new Set<string>();
    this.#table = new FileTable();
    for (const entry of c.sources.files) {
      const settings: FileSourceSettings = typeof entry === 'string' ? { path: entry } : entry;
      if (seen.has(settings.path)) continue;
      seen.add(settings.path);
      try {
        // Listed first, ranked first: of several entries matching one file, the first reads it.
        const source = new FileSource(settings, { table: this.#table, rank: this.#files.length });
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
        onRecord: (r) => this.#inspect(r.line, r.location, r.time, { source: 'journald', unit: r.unit }),
      });
      this.#journal.start();
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
      source.start();
    }
    this.#status = { id: this.id, state: 'on' };
    this.poll();
    this.#timer = setInterval(() => this.poll(), this.#options.pollMs ?? POLL_MS);
    this.#timer.unref();
  }

  /** Reads what the files gained since the last poll and saves the previous poll's checkpoints; exposed for tests. */
  poll(): void {
    if (!this.#engine) return;
    const now = Date.now();
    const out = (record: LogRecord, path: string): void => {
      if (record.truncated) this.#counters.truncatedLines++;
      this.#inspect(record.text, path, now, { source: 'file', truncated: record.truncated });
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
    const current = this.#snapshot();
    if (this.#lagging) this.#save(this.#lagging);
    this.#lagging = current;
    this.#updateStatus();
  }

  #snapshot(): SourceCheckpoints {
    const files: SourceCheckpoints['files'] = {};
    for (const source of this.#files) files[source.key] = source.checkpoint();
    const cursor = this.#journal?.cursor;
    return cursor === undefined ? { version: 1, files } : { version: 1, files, journalCursor: cursor };
  }

  #save(checkpoints: SourceCheckpoints): void {
    const seen = this.#engine?.firstTimeSeen;
    if (seen && seen.changes !== this.#firstTimeSeenSaved) {
      this.#firstTimeSeen = seen.entries();
      try {
        this.#firstTimeSeenStore.save(this.#firstTimeSeen);
        this.#firstTimeSeenSaved = seen.changes;
      } catch (error) {
        this.#context.log.warn(`loginspect: cannot save ${this.#firstTimeSeenStore.path}: ${(error as Error).message}`);
      }
    }
    // Kept in memory even if the write fails: sources rebuilt by the next apply continue from here.
    this.#saved = checkpoints;
    try {
      this.#store.save(checkpoints);
      this.#saveProblem = undefined;
    } catch (error) {
      this.#saveProblem = {
        source: 'checkpoints',
        reason: `cannot save reading positions to ${this.#store.path}: ${(error as Error).message}; after a restart lines may be read again`,
      };
    }
  }

  #updateStatus(): void {
    if (this.#status.state !== 'on') return;
    const reason = describeProblems(this.#problems());
    this.#status = reason === '' ? { id: this.id, state: 'on' } : { id: this.id, state: 'on', reason };
  }

  #problems(): SourceProblem[] {
    const out = [...this.#setupProblems];
    for (const s of this.#files) out.push(...s.problems);
    if (this.#journal?.problem) out.push(this.#journal.problem);
    for (const c of this.#commands) if (c.problem) out.push(c.problem);
    if (this.#saveProblem) out.push(this.#saveProblem);
    return out;
  }

  #inspect(line: string, location: string, time: number, origin: LineOrigin): void {
    const engine = this.#engine;
    const c = this.#configuration;
    if (!engine || !c) return;
    this.#counters.lines++;
    let v: Verdict;
    try {
      v = engine.process({ line, location, time });
    } catch (error) {
      this.#context.log.error(`loginspect: engine failure on a line from ${location}: ${(error as Error).message}`);
      return;
    }
    const rule = v.rule;
    if (!v.alert || !rule) return;
    this.#counters.alerts++;
    const group = rule.groups[0] ?? '';
    const builtIn = rule.id >= 100000 && rule.id < 102000;
    if (builtIn && !c.builtInGroups.includes(group)) {
      this.#counters.alertsOfUnassignedGroups++;
      return;
    }
    if (rule.level < c.minimumLevel) {
      this.#counters.alertsBelowMinimumLevel++;
      return;
    }
    this.#counters.events++;
    this.#context.emit(ruleMatchEvent(engine, v, origin, this.#isoTimes));
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([this.#journal?.stop(), ...this.#commands.map((c) => c.stop())]);
    if (this.#engine) this.#save(this.#snapshot());
    for (const source of this.#files) source.close();
    this.#files = [];
    this.#journal = undefined;
    this.#commands = [];
    this.#lagging = undefined;
    this.#engine = undefined;
    this.#appliedKey = '';
    this.#status = { id: this.id, state: 'off' };
  }

  status(): ModuleStatus {
    const counters: Record<string, number> = { ...this.#counters };
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

export const loginspectAgentFactory: AgentModuleFactory = createLogInspectAgentFactory();
