import {
  type AgentModule,
  type AgentModuleContext,
  contentHash,
  describeIssues,
  describeRejectedRules,
  type ModuleConfiguration,
  type ModuleSnapshot,
  type ModuleStatus,
  type PlatformSettings,
  parseWith,
  type SnapshotEntry,
  type SnapshotSource,
} from '@bulwark/protocol';
import {
  type ChangeSource,
  displayPath,
  IntegrityConfiguration,
  type IntegritySettings,
  isUtf8,
  MODULE_ID,
  nextScanAt,
  parseSchedule,
  type Schedule,
} from '../engine/index.js';
import { BaselineStore } from './baseline-store.js';
import { CloseWriteWatch } from './close-write-watch.js';
import { HashPool } from './hash-pool.js';
import { type Coverage, type DueChange, RealTimeMonitor } from './real-time-monitor.js';
import {
  type ActiveRule,
  activeRule,
  buildBaseline,
  isFileRule,
  type RuleScanResult,
  type ScanDependencies,
  scanRule,
} from './rule-scanner.js';
import { WorkGate } from './work-gate.js';

const MAX_TIMER_MS = 2 ** 31 - 1;
const COMMANDS = ['scan', 'rebuild-baseline', 'export-baseline'] as const;

export interface IntegrityAgentOptions {
  /** Clock for events and schedules; tests replace it. */
  readonly now?: () => Date;
}

/**
 * The integrity monitoring module on the agent: keeps a baseline per rule in the data directory,
 * rebuilds it when a rule changes, scans at start, on a schedule and on demand, and watches file
 * rules in real time. Work on the baseline is ordered by a WorkGate: heavy work runs alone,
 * real-time path checks run one at a time and may run while a scan walks (see scanRule's
 * `checkedMeanwhile` for how the two stay out of each other's way).
 */
export class IntegrityAgentModule implements AgentModule, SnapshotSource {
  readonly id = MODULE_ID;
  readonly #context: AgentModuleContext;
  readonly #now: () => Date;
  #state: ModuleStatus['state'] = 'off';
  #reason: string | undefined;
  #version: string | undefined;
  #settings: IntegritySettings | undefined;
  #rules = new Map<string, ActiveRule>();
  #store: BaselineStore | undefined;
  #pool: HashPool | undefined;
  #monitor: RealTimeMonitor | undefined;
  #timer: NodeJS.Timeout | undefined;
  #schedule: Schedule = { kind: 'off' };
  #lastScanAt: number | undefined;
  #startScanDone = false;
  readonly #gate = new WorkGate();
  /** Paths checked in real time since the running scan began, per rule; undefined when no scan runs. */
  #checkedDuringScan: Map<string, Set<string>> | undefined;
  readonly #counters: Record<string, number> = { scans: 0, events: 0, realTimeChecks: 0 };

  constructor(context: AgentModuleContext, options: IntegrityAgentOptions = {}) {
    this.#context = context;
    this.#now = options.now ?? (() => new Date());
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.#gate.exclusive(work);
  }

  #count(name: string, n = 1): void {
    this.#counters[name] = (this.#counters[name] ?? 0) + n;
  }

  #deps(): ScanDependencies {
    return {
      store: this.#store!,
      pool: this.#pool!,
      maxEntriesPerRule: this.#settings!.maxEntriesPerRule,
      trustUnchangedMetadata: this.#settings!.trustUnchangedMetadata,
      emit: (event) => {
        this.#count('events');
        this.#context.emit(event);
      },
      now: this.#now,
    };
  }

  #fail(reason: string): void {
    this.#state = 'error';
    this.#reason = reason;
    this.#context.log.error('integrity configuration rejected', { reason });
  }

  async apply(configuration: ModuleConfiguration, _platform?: PlatformSettings): Promise<void> {
    if (!configuration.enabled) {
      await this.stop();
      return;
    }
    const parsed = parseWith(IntegrityConfiguration, configuration.configuration);
    if (!parsed.ok) return this.#fail(`invalid integrity configuration: ${describeIssues(parsed.issues)}`);
    const schedule = parseSchedule(parsed.value.settings.schedule);
    if (!schedule.ok) return this.#fail(schedule.message);
    const version = contentHash(parsed.value);
    if (version === this.#version && this.#state === 'on') return;
    return this.#exclusive(async () => {
      const { settings, rules } = parsed.value;
      try {
        this.#store ??= new BaselineStore(this.#context.dataDir);
        if (!this.#pool || (settings.hashWorkers !== 0 && this.#pool.size !== settings.hashWorkers)) {
          await this.#pool?.close();
          this.#pool = new HashPool(settings.hashWorkers);
        }
      } catch (error) {
        this.#state = 'unavailable';
        this.#reason = `cannot open the baseline store in ${this.#context.dataDir}: ${(error as Error).message}`;
        return;
      }
      this.#settings = settings;
      this.#schedule = schedule.schedule;
      this.#rules = new Map(
        rules.map((rule) => {
          const exclusions = isFileRule(rule) ? settings.exclusions : [];
          return [rule.id, activeRule(rule, contentHash({ rule, exclusions }), exclusions)];
        }),
      );
      const store = this.#store;
      for (const stored of store.rules()) if (!this.#rules.has(stored.ruleId)) store.drop(stored.ruleId);

      const built: RuleScanResult[] = [];
      const scanned: RuleScanResult[] = [];
      for (const active of this.#rules.values()) {
        if (store.ruleHash(active.rule.id) !== active.hash) built.push(await buildBaseline(active, this.#deps()));
        else if (!this.#startScanDone && settings.scanOnStart)
          scanned.push(await scanRule(active, this.#deps(), 'start-scan'));
      }
      this.#startScanDone = true;
      if (built.length > 0) this.#emitBaselineBuilt(built, 'rule set changed');
      this.#record([...built, ...scanned]);
      if (scanned.length > 0) this.#lastScanAt = this.#now().getTime();
      this.#restartMonitor([...built, ...scanned]);
      this.#arm();
      this.#version = version;
      this.#state = 'on';
      // Rules the manager's compiler refused are watched nowhere: say so in every heartbeat.
      const refused = parsed.value.rejectedRules;
      this.#reason = refused.length > 0 ? describeRejectedRules(refused) : undefined;
      this.#counters.rejectedRules = refused.length;
    });
  }

  #record(results: readonly RuleScanResult[]): void {
    for (const r of results) for (const [reason, n] of Object.entries(r.skips)) this.#count(`skipped.${reason}`, n);
  }

  #emitBaselineBuilt(results: readonly RuleScanResult[], why: string): void {
    const entries = results.reduce((n, r) => n + r.entries, 0);
    this.#deps().emit({
      module: MODULE_ID,
      type: 'baseline-built',
      severity: 'info',
      action: 'Log',
      summary: `Integrity baseline built for ${results.length} rule(s), ${entries} entities (${why})`,
      details: {
        rules: results.map((r) => ({
          ruleId: r.ruleId,
          entries: r.entries,
          hashedFiles: r.hashed,
          hashedBytes: r.bytes,
          skipped: r.skips,
          ...(r.unavailable ? { unavailable: r.unavailable } : {}),
        })),
      },
      time: this.#now().toISOString(),
    });
  }

  #restartMonitor(results: readonly RuleScanResult[]): void {
    this.#monitor?.close();
    this.#monitor = undefined;
    if (!this.#settings?.realTime) return;
    const monitor = new RealTimeMonitor({
      quietMs: this.#settings.debounceMilliseconds,
      maxDelayMs: Math.max(1000, this.#settings.debounceMilliseconds * 10),
      maxWatches: this.#settings.maxWatchedDirectories,
      now: () => Date.now(),
      onDue: (due) => void this.#checkRealTime(due),
      onSkip: (reason) => this.#count(`skipped.${reason}`),
      ...(this.#settings.fanotify ? { openCloseWrite: (onPaths) => CloseWriteWatch.open(onPaths) } : {}),
    });
    // Rules not walked just now (no scan at start, or only settings changed) are watched from
    // the directories their last walk listed, not from their base's parent alone.
    const directories = new Map(results.map((r) => [r.ruleId, r.directories]));
    for (const active of this.#rules.values())
      if (isFileRule(active.rule))
        monitor.addRule(active.rule, directories.get(active.rule.id) ?? this.#store?.directories(active.rule.id) ?? []);
    this.#monitor = monitor;
  }

  #checkRealTime(due: readonly DueChange[]): Promise<void> {
    return this.#gate
      .pathCheck(async () => {
        if (this.#state !== 'on') return;
        const byRule = new Map<string, string[]>();
        for (const d of due) byRule.set(d.ruleId, [...(byRule.get(d.ruleId) ?? []), d.path]);
        for (const [ruleId, paths] of byRule) {
          const active = this.#rules.get(ruleId);
          if (!active) continue;
          this.#count('realTimeChecks', paths.length);
          // Recorded before the baseline is read: the running scan leaves these paths to this check.
          const scanning = this.#checkedDuringScan;
          if (scanning) {
            const set = scanning.get(ruleId) ?? new Set<string>();
            for (const p of paths) set.add(p);
            scanning.set(ruleId, set);
            this.#count('realTimeChecksDuringScan', paths.length);
          }
          const r = await scanRule(active, this.#deps(), 'real-time', paths);
          this.#record([r]);
          this.#monitor?.addDirectories(ruleId, r.directories);
        }
      })
      .catch((error) => this.#context.log.error('integrity real-time check failed', { error: String(error) }));
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#now().getTime();
    const at = nextScanAt(this.#schedule, this.#lastScanAt, now);
    if (at === undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        if (this.#now().getTime() + 1000 < at) return this.#arm();
        void this.#scanAll('scheduled-scan', undefined)
          .catch((error) => this.#context.log.error('integrity scheduled scan failed', { error: String(error) }))
          .finally(() => this.#arm());
      },
      Math.min(MAX_TIMER_MS, Math.max(0, at - now)),
    );
    this.#timer.unref();
  }

  /** Real-time checks keep running while this walks (WorkGate.scan). */
  #scanAll(source: ChangeSource, ruleId: string | undefined): Promise<RuleScanResult[]> {
    const checked = new Map<string, Set<string>>();
    const none: ReadonlySet<string> = new Set();
    return this.#gate.scan(
      () => {
        this.#checkedDuringScan = checked;
      },
      async () => {
        try {
          const results: RuleScanResult[] = [];
          this.#lastScanAt = this.#now().getTime();
          this.#count('scans');
          for (const active of this.#rules.values()) {
            if (ruleId !== undefined && active.rule.id !== ruleId) continue;
            const id = active.rule.id;
            results.push(await scanRule(active, this.#deps(), source, undefined, () => checked.get(id) ?? none));
          }
          this.#record(results);
          return results;
        } finally {
          if (this.#checkedDuringScan === checked) this.#checkedDuringScan = undefined;
        }
      },
    );
  }

  async stop(): Promise<void> {
    await this.#exclusive(async () => {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#monitor?.close();
      this.#monitor = undefined;
      await this.#pool?.close();
      this.#pool = undefined;
      this.#store?.close();
      this.#store = undefined;
      this.#state = 'off';
      this.#reason = undefined;
      this.#version = undefined;
      this.#startScanDone = false;
    });
  }

  status(): ModuleStatus {
    const counters: Record<string, number> = { ...this.#counters, rules: this.#rules.size };
    const reasons = this.#reason ? [this.#reason] : [];
    const coverage = this.#monitor?.coverage();
    if (coverage) {
      counters.watchedDirectories = coverage.watchedDirectories;
      counters.unwatchedDirectories = coverage.unwatchedDirectories;
      counters.fanotifyMounts = coverage.fanotifyMounts;
      if (coverage.unwatchedDirectories > 0) reasons.push(this.#describeUnwatched(coverage));
    }
    const reason = reasons.join('; ');
    return { id: MODULE_ID, state: this.#state, ...(reason ? { reason } : {}), counters };
  }

  /** The watch limit was reached: say what is and is not seen in real time, and what to do. */
  #describeUnwatched(c: Coverage): string {
    const scans =
      this.#schedule.kind === 'off'
        ? 'scans are off (schedule "off"), so only a scan on demand sees the rest'
        : 'the rest is seen at the next scheduled scan';
    const seen =
      c.fanotifyRules > 0
        ? `files written there are still reported in real time through fanotify close-write on ${c.fanotifyMounts} mount(s); deletions, renames and permission changes are not, and ${scans}`
        : `changes there are not seen in real time${c.fanotifyUnavailable ? ` (fanotify: ${c.fanotifyUnavailable})` : ''}; ${scans}`;
    return `real time: ${c.unwatchedDirectories} directories beyond the inotify watch limit (integrity.maxWatchedDirectories ${this.#settings?.maxWatchedDirectories}, or the kernel's fs.inotify.max_user_watches); ${seen}`;
  }

  async run(command: string, args: Readonly<Record<string, unknown>>): Promise<unknown> {
    if (!(COMMANDS as readonly string[]).includes(command))
      throw new Error(`unknown integrity command "${command}"; known commands: ${COMMANDS.join(', ')}`);
    if (this.#state !== 'on') throw new Error('integrity monitoring is not enabled on this computer');
    const ruleId = args.ruleId;
    if (ruleId !== undefined && (typeof ruleId !== 'string' || !this.#rules.has(ruleId)))
      throw new Error(`ruleId: no integrity rule "${String(ruleId)}" is assigned to this computer`);
    if (command === 'scan') {
      const started = Date.now();
      const results = await this.#scanAll('scan', ruleId);
      return { durationMs: Date.now() - started, rules: results.map(({ directories: _d, ...r }) => r) };
    }
    if (command === 'rebuild-baseline') {
      const results = await this.#exclusive(async () => {
        const out: RuleScanResult[] = [];
        for (const active of this.#rules.values())
          if (ruleId === undefined || active.rule.id === ruleId) out.push(await buildBaseline(active, this.#deps()));
        this.#emitBaselineBuilt(out, 'rebuilt on request');
        this.#restartMonitor(out);
        return out;
      });
      return { rules: results.map(({ directories: _d, ...r }) => r) };
    }
    return this.#exclusive(async () => this.#export(ruleId as string | undefined, args));
  }

  /**
   * Each rule's baseline is a snapshot the manager keeps a copy of (SnapshotSource); its version
   * changes when the baseline is built again (first apply, rule change, rebuild).
   */
  snapshots(): { name: string; version: string }[] {
    if (this.#state !== 'on' || !this.#store) return [];
    return this.#store
      .ruleVersions()
      .filter((r) => this.#rules.has(r.ruleId))
      .map((r) => ({ name: r.ruleId, version: `${r.ruleHash}@${r.builtAt}` }));
  }

  readSnapshot(name: string, maxEntries: number): Promise<ModuleSnapshot | undefined> {
    // Through #exclusive: the entries are read between two pieces of baseline work, never during one.
    return this.#exclusive(async () => {
      const stored = this.#store?.ruleVersions().find((r) => r.ruleId === name);
      const active = this.#rules.get(name);
      if (!this.#store || !stored || !active) return undefined;
      return {
        name,
        version: `${stored.ruleHash}@${stored.builtAt}`,
        builtAt: stored.builtAt,
        total: this.#store.count(name),
        entries: this.#entries(name, 0, maxEntries).map(
          ({ key, keyBase64, attributes }): SnapshotEntry => ({
            key,
            ...(keyBase64 === undefined ? {} : { keyBase64 }),
            value: attributes,
          }),
        ),
      };
    });
  }

  /** A page of a rule's baseline with file keys in display form (and base64 when not UTF-8). */
  #entries(ruleId: string, offset: number, limit: number) {
    const active = this.#rules.get(ruleId)!;
    return this.#store!.page(ruleId, offset, limit).map((e) =>
      isFileRule(active.rule)
        ? {
            ...e,
            key: displayPath(e.key),
            ...(isUtf8(e.key) ? {} : { keyBase64: Buffer.from(e.key, 'latin1').toString('base64') }),
          }
        : { ...e, keyBase64: undefined },
    );
  }

  #export(ruleId: string | undefined, args: Readonly<Record<string, unknown>>): unknown {
    const offset =
      typeof args.offset === 'number' && Number.isInteger(args.offset) && args.offset >= 0 ? args.offset : 0;
    const limit =
      typeof args.limit === 'number' && Number.isInteger(args.limit) && args.limit > 0
        ? Math.min(args.limit, 10_000)
        : 1000;
    const rules = this.#store!.rules();
    if (ruleId === undefined) return { rules };
    const entries = this.#entries(ruleId, offset, limit).map(({ keyBase64, ...e }) =>
      keyBase64 === undefined ? e : { ...e, keyBase64 },
    );
    return { rules: rules.filter((r) => r.ruleId === ruleId), offset, limit, entries };
  }
}
