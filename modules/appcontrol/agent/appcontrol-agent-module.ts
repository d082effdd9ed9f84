import { readFileSync, realpathSync } from 'node:fs';
import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  ModuleConfiguration,
  ModuleSnapshot,
  ModuleStatus,
  SnapshotSource,
} from '@bulwark/protocol';
import { describeIssues, describeRejectedRules, parseWith } from '@bulwark/protocol';
import {
  AppcontrolConfiguration,
  compileExecutionPolicy,
  diffInventories,
  type ExecutionPolicy,
  FileFactsCache,
  inMaintenance,
  localMountPoints,
} from '../engine/index.js';
import { Enforcer } from './enforcer.js';
import { EventReporter } from './event-reporter.js';
import { readExecutable } from './executable-reader.js';
import { INVENTORY_FILE, SoftwareInventory } from './inventory-store.js';
import { walkInventory } from './inventory-walker.js';
import { type ProcessDetails, runByPackageManager } from './process-facts.js';

const ID = 'appcontrol';
/** A changed inventory is written at most this often (and on stop). */
const SAVE_DELAY_MS = 2_000;
/** The agent's own runtime as packaged: never held. */
const AGENT_PREFIXES = ['/opt/bulwark/'];

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The agent side: keeps the software inventory (built once when enabled, then grown by
 * maintenance mode and trusted package managers), holds executions through fanotify and answers
 * them from the engine's decision, and reports what it blocked or let run unrecognized.
 */
class AppcontrolAgentModule implements AgentModule, SnapshotSource {
  readonly id = ID;
  readonly #context: AgentModuleContext;
  readonly #inventory = new SoftwareInventory();
  readonly #cache = new FileFactsCache();
  readonly #reporter: EventReporter;
  readonly #runtime = new Set([realpathOr(process.execPath)]);
  #policy: ExecutionPolicy | null = null;
  #enforcer: Enforcer | null = null;
  #marked = '';
  #policyKey = '';
  #markFailures: { path: string; reason: string }[] = [];
  #rootsKey = '';
  #building: Promise<unknown> | null = null;
  #saveTimer: NodeJS.Timeout | null = null;
  #status: ModuleStatus = { id: ID, state: 'off' };
  #loadProblem: string | null = null;
  #joined = 0;
  #lastWalk: Awaited<ReturnType<typeof walkInventory>>['counts'] | null = null;

  constructor(context: AgentModuleContext) {
    this.#context = context;
    this.#reporter = new EventReporter(context);
    const loaded = this.#inventory.load(context.dataDir);
    if (!loaded.ok) this.#loadProblem = loaded.reason;
  }

  async apply(configuration: ModuleConfiguration): Promise<void> {
    if (!configuration.enabled) {
      await this.stop();
      return;
    }
    const parsed = parseWith(AppcontrolConfiguration, configuration.configuration);
    if (!parsed.ok) {
      this.#status = {
        id: ID,
        state: 'error',
        reason: `configuration refused, the previous one stays in force: ${describeIssues(parsed.issues)}`,
      };
      return;
    }
    const { settings, rules, rejectedRules } = parsed.value;
    const policy = compileExecutionPolicy(settings, rules);
    this.#policy = policy;
    const refused = [...rejectedRules, ...policy.refused];
    // Verdicts the kernel package remembered were decided under the previous rules (a configuration
    // applied again unchanged keeps them: they are the common case's fast path).
    const policyKey = JSON.stringify([settings, rules]);
    if (policyKey !== this.#policyKey) this.#enforcer?.forgetVerdicts();
    this.#policyKey = policyKey;
    if (this.#enforcer === null) {
      const opened = Enforcer.open({
        policy: () => this.#policy as ExecutionPolicy,
        inventoryReady: () => this.#inventory.ready,
        inInventory: (sha) => this.#inventory.hasHash(sha),
        exempt: (path) => this.#runtime.has(path) || AGENT_PREFIXES.some((p) => path.startsWith(p)),
        cache: this.#cache,
        now: () => Date.now(),
        userName: (uid) => this.#reporter.userName(uid),
        judged: (execution) => {
          if (execution.decision.joinInventory && execution.facts.sha256 !== null && execution.facts.kind !== null)
            this.#join(
              {
                path: execution.path,
                sha256: execution.facts.sha256,
                size: execution.facts.size,
                kind: execution.facts.kind,
              },
              execution.decision.reason,
              execution.pid,
            );
          this.#reporter.execution(execution);
        },
        written: (path, pid) => void this.#written(path, pid),
      });
      if (!opened.ok) {
        this.#status = { id: ID, state: 'unavailable', reason: opened.reason };
        return;
      }
      this.#enforcer = opened.enforcer;
    }
    const mounts = settings.enforcedMounts.length > 0 ? settings.enforcedMounts : localMountPoints(readMounts());
    const markKey = JSON.stringify([mounts, settings.checkInterpreters]);
    if (markKey !== this.#marked) {
      if (this.#marked !== '') {
        // Marks are only added by fanotify_mark; the simplest exact removal is a new group.
        this.#enforcer.close();
        this.#enforcer = null;
        this.#marked = '';
        return this.apply(configuration);
      }
      this.#markFailures = this.#enforcer.mark(mounts, settings.checkInterpreters);
      this.#marked = markKey;
    }
    const rootsKey = JSON.stringify(settings.roots);
    if (!this.#inventory.ready || rootsKey !== this.#rootsKey) {
      this.#rootsKey = rootsKey;
      if (this.#building === null || !this.#inventory.ready) void this.#build('first build');
    }
    const reasons = [
      this.#inventory.ready ? null : 'building the inventory: nothing is blocked until it is done',
      this.#loadProblem === null ? null : `stored inventory unreadable, built again: ${this.#loadProblem}`,
      this.#markFailures.length > 0
        ? `not enforced on ${this.#markFailures.map((f) => `${f.path} (${f.reason})`).join(', ')}`
        : null,
      refused.length > 0 ? describeRejectedRules(refused) : null,
    ].filter((r): r is string => r !== null);
    this.#status = { id: ID, state: 'on', ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}) };
  }

  /** Waits for a running inventory build (tests, commands). */
  async settled(): Promise<void> {
    while (this.#building !== null) await this.#building;
  }

  #build(why: string): Promise<unknown> {
    if (this.#building !== null) return this.#building;
    const roots = this.#policy?.settings.roots ?? [];
    const previous = new Map(this.#inventory.entries());
    const hadOne = this.#inventory.ready;
    this.#building = (async () => {
      const walk = await walkInventory(roots);
      this.#lastWalk = walk.counts;
      const builtAt = new Date().toISOString();
      this.#inventory.replace(walk.entries, builtAt);
      this.#enforcer?.forgetVerdicts();
      this.#loadProblem = null;
      const now = Date.now();
      for (const [path, stamp] of walk.stamps) {
        const e = walk.entries.get(path);
        if (e) this.#cache.set(stamp, { sha256: e.sha256, kind: e.kind }, now);
      }
      this.#save();
      if (hadOne) this.#reporter.inventoryChanges(diffInventories(previous, walk.entries));
      this.#reporter.inventoryBuilt(why, walk);
      if (this.#status.state === 'on' && this.#status.reason?.startsWith('building the inventory')) {
        const rest = this.#status.reason.split('; ').slice(1).join('; ');
        this.#status = { id: ID, state: 'on', ...(rest ? { reason: rest } : {}) };
      }
      return walk;
    })().finally(() => {
      this.#building = null;
    });
    return this.#building;
  }

  #join(
    entry: Parameters<SoftwareInventory['join']>[0],
    reason: string,
    pid: number,
    who?: ProcessDetails | null,
  ): void {
    if (!this.#inventory.join(entry)) return;
    // A copy elsewhere of what joined may have a remembered unrecognized verdict.
    this.#enforcer?.forgetVerdicts();
    this.#joined++;
    this.#reporter.joined(entry, reason, pid, who);
    this.#scheduleSave();
  }

  async #written(path: string, pid: number): Promise<void> {
    const policy = this.#policy;
    if (policy === null || !this.#inventory.ready) return;
    const maintenance = inMaintenance(policy.settings, Date.now());
    const trusted = !maintenance && policy.settings.trustPackageManagers && runByPackageManager(pid);
    const read = await readExecutable(path.replace(/\.dpkg-new$/, ''));
    if (read.kind !== 'executable') return;
    if (maintenance || trusted) this.#join(read.entry, maintenance ? 'maintenance' : 'package-manager', pid);
    else if (!this.#inventory.hasHash(read.entry.sha256)) this.#reporter.unrecognizedWrite(read.entry, pid);
  }

  #scheduleSave(): void {
    if (this.#saveTimer !== null) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = null;
      this.#save();
    }, SAVE_DELAY_MS);
    this.#saveTimer.unref();
  }

  #save(): void {
    try {
      this.#context.writeStateFile(INVENTORY_FILE, this.#inventory.serialize());
    } catch (error) {
      this.#context.log.warn('appcontrol: the inventory could not be saved', { error: (error as Error).message });
    }
  }

  async stop(): Promise<void> {
    this.#enforcer?.close();
    this.#enforcer = null;
    this.#marked = '';
    this.#policyKey = '';
    await this.settled();
    if (this.#saveTimer !== null) {
      clearTimeout(this.#saveTimer);
      this.#saveTimer = null;
      this.#save();
    }
    this.#policy = null;
    this.#status = { id: ID, state: 'off' };
  }

  status(): ModuleStatus {
    const stats = this.#enforcer?.stats();
    return {
      ...this.#status,
      counters: {
        inventory: this.#inventory.size,
        rules: this.#policy?.ruleCount ?? 0,
        refusedRules: this.#policy?.refused.length ?? 0,
        joinedInventory: this.#joined,
        ...(this.#enforcer?.counters ?? {}),
        ...this.#cache.counters(),
        ...this.#reporter.counters(),
        ...(this.#lastWalk === null
          ? {}
          : {
              inventoryUnstable: this.#lastWalk.unstable,
              inventoryVanished: this.#lastWalk.vanished,
              inventoryUnreadable: this.#lastWalk.unreadable,
            }),
        ...(stats === undefined
          ? {}
          : {
              defaulted: stats.defaulted,
              lateAnswers: stats.lateAnswers,
              kernelCacheHits: stats.cacheHits,
              kernelCacheMisses: stats.cacheMisses,
              kernelCacheStale: stats.cacheStale,
              kernelCacheEvicted: stats.cacheEvicted,
              kernelCacheEntries: stats.cacheEntries,
              kernelCacheDenied: stats.cacheDenied,
              opensPassedInKernel: stats.opensPassed,
              kernelIgnoreMarks: stats.ignoreMarks,
              kernelIgnoreFlushes: stats.ignoreFlushes,
            }),
      },
    };
  }

  async run(command: string, args: Readonly<Record<string, unknown>>): Promise<unknown> {
    if (command === 'build-inventory') {
      if (this.#policy === null) throw new Error(`${ID} is off on this computer`);
      await this.settled();
      const walk = (await this.#build('rebuilt on request')) as Awaited<ReturnType<typeof walkInventory>>;
      return {
        executables: walk.entries.size,
        counts: walk.counts,
        problems: walk.problems,
        truncated: walk.truncated,
      };
    }
    if (command === 'export-inventory') {
      const offset =
        typeof args.offset === 'number' && Number.isInteger(args.offset) && args.offset >= 0 ? args.offset : 0;
      const limit =
        typeof args.limit === 'number' && Number.isInteger(args.limit) && args.limit > 0
          ? Math.min(args.limit, 10_000)
          : 1000;
      return {
        builtAt: this.#inventory.builtAt,
        total: this.#inventory.size,
        offset,
        limit,
        entries: this.#inventory.page(offset, limit),
      };
    }
    throw new Error(`${ID} has no command "${command}"; its commands: build-inventory, export-inventory`);
  }

  /** The inventory is one snapshot the manager keeps a copy of. */
  snapshots(): { name: string; version: string }[] {
    return this.#inventory.ready && this.#policy !== null
      ? [{ name: 'inventory', version: this.#inventory.version }]
      : [];
  }

  async readSnapshot(name: string, maxEntries: number): Promise<ModuleSnapshot | undefined> {
    if (name !== 'inventory' || !this.#inventory.ready) return undefined;
    return {
      name,
      version: this.#inventory.version,
      builtAt: this.#inventory.builtAt ?? undefined,
      total: this.#inventory.size,
      entries: this.#inventory.page(0, maxEntries).map((e) => ({
        key: e.path,
        value: { sha256: e.sha256, size: e.size, kind: e.kind },
      })),
    };
  }
}

function readMounts(): string {
  try {
    return readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return '';
  }
}

/** The agent side of the module: what the agent's registry lists. */
export const agentModule: AgentModuleFactory = {
  id: ID,
  create: (context) => new AppcontrolAgentModule(context),
};
