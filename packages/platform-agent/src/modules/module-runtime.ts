import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  Inventory,
  LocalOptions,
  ModuleStatus,
  NewEvent,
  SecurityConfiguration,
  SourceSpool,
  UpdatePackageReader,
} from '@bulwark/protocol';
import { PlatformEventTypes } from '@bulwark/protocol';
import type { AgentLogger } from '../log/json-logger.js';
import { type AgentModuleEntry, moduleEntry } from './module-entry.js';
import { ModulesInUse } from './modules-in-use.js';
import { moduleStateFileWriter } from './state-file.js';

export interface ModuleRuntimeOptions {
  /** The registry's entries (loaded when needed), or factories already in memory. */
  readonly factories: readonly (AgentModuleEntry | AgentModuleFactory)[];
  readonly dataDir: string;
  readonly log: AgentLogger;
  readonly emit: (event: NewEvent) => void;
  /** The spool's side for sources that can read again, handed to each module under its id. */
  readonly sourceSpool?: (moduleId: string) => SourceSpool;
  readonly reportInventory: (inventory: Inventory) => void;
  /** What the host's administrator set locally, handed to every module as it is. */
  readonly localOptions?: LocalOptions;
  /** The manager this agent reports to, handed to every module (a firewall keeps it reachable). */
  readonly managerUrl?: string;
  /** The verified update packages, handed to every module. */
  readonly updates?: UpdatePackageReader;
  /** Settles after the first heartbeat of this run (see AgentModuleContext.firstContact). */
  readonly firstContact?: Promise<void>;
  /** How long one module may take to apply or stop before it is reported as failing. */
  readonly operationTimeoutMs?: number;
}

/** A kernel hook that enforces without the agent process, as `bulwark-agent status` lists it. */
export interface KernelHook {
  readonly module: string;
  readonly hook: string;
}

interface Running {
  readonly module: AgentModule;
  /** Set when apply/stop threw or timed out: reported instead of the module's own status. */
  failure: string | null;
}

/**
 * Runs the modules a security configuration names, each isolated from the others: a module
 * whose apply throws, hangs or whose status() throws is reported as `error` with the reason and
 * the rest of the agent carries on. Modules the configuration no longer names are stopped.
 *
 * A module is loaded (its code imported, its instance made) only when the configuration turns it
 * on, or when it is off but may have left something on the host (modules-in-use.ts): it is then
 * applied `enabled: false` to take that back, as before. A module off that never ran here is
 * reported `off` without loading its code.
 */
export class ModuleRuntime {
  readonly #entries: ReadonlyMap<string, AgentModuleEntry>;
  readonly #running = new Map<string, Running>();
  /** Modules the configuration names but this agent does not have. */
  readonly #unknown = new Set<string>();
  /** Modules the configuration names, off, and not loaded. */
  readonly #off = new Set<string>();
  readonly #inUse: ModulesInUse;
  readonly #options: ModuleRuntimeOptions;

  constructor(options: ModuleRuntimeOptions) {
    this.#options = options;
    this.#entries = new Map(options.factories.map((f) => [f.id, moduleEntry(f)]));
    this.#inUse = new ModulesInUse(options.dataDir, options.log);
  }

  async apply(configuration: SecurityConfiguration): Promise<void> {
    const wanted = new Set(Object.keys(configuration.modules));
    for (const id of [...this.#running.keys()]) {
      if (!wanted.has(id)) await this.#stop(id);
    }
    this.#unknown.clear();
    this.#off.clear();
    for (const [id, moduleConfiguration] of Object.entries(configuration.modules)) {
      if (!moduleConfiguration.enabled && !this.#running.has(id) && this.#entries.has(id) && !this.#inUse.has(id)) {
        this.#off.add(id);
        continue;
      }
      const running = await this.#ensure(id);
      if (!running) continue;
      // Recorded before apply: a module turned on may install a kernel hook before it fails.
      if (moduleConfiguration.enabled) this.#inUse.add(id);
      const outcome = await this.#guard('apply', () =>
        running.module.apply(moduleConfiguration, configuration.platform),
      );
      running.failure = outcome;
      if (!moduleConfiguration.enabled && outcome === null && this.#leftNothing(running)) this.#inUse.delete(id);
      if (outcome) {
        this.#options.log.error('module failed to apply its configuration', { module: id, reason: outcome });
        this.#options.emit({
          module: 'agent',
          type: PlatformEventTypes.moduleError,
          severity: 'medium',
          summary: `${id}: ${outcome}`.slice(0, 2048),
          details: { moduleId: id, reason: outcome },
        });
      }
    }
  }

  status(): ModuleStatus[] {
    const statuses: ModuleStatus[] = [];
    for (const [id, running] of this.#running) {
      if (running.failure) {
        statuses.push({ id, state: 'error', reason: running.failure.slice(0, 1024) });
        continue;
      }
      try {
        statuses.push({ ...running.module.status(), id });
      } catch (error) {
        statuses.push({ id, state: 'error', reason: `status failed: ${(error as Error).message}`.slice(0, 1024) });
      }
    }
    for (const id of this.#off) statuses.push({ id, state: 'off' });
    for (const id of this.#unknown)
      statuses.push({ id, state: 'unavailable', reason: 'this agent has no such module' });
    return statuses.slice(0, 64);
  }

  module(id: string): AgentModule | undefined {
    return this.#running.get(id)?.module;
  }

  /** The modules running now (those that failed to start included, as stand-ins that do nothing). */
  modules(): AgentModule[] {
    return [...this.#running.values()].map((r) => r.module);
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.#running.keys()]) await this.#stop(id);
  }

  /** The kernel hooks of the running modules that would stay in force after stopAll(). */
  kernelHooks(): KernelHook[] {
    const hooks: KernelHook[] = [];
    for (const [id, running] of this.#running) {
      try {
        for (const hook of running.module.kernelHooks?.() ?? []) hooks.push({ module: id, hook });
      } catch (error) {
        hooks.push({ module: id, hook: `unknown (kernelHooks failed: ${(error as Error).message})` });
      }
    }
    return hooks;
  }

  /**
   * Deactivation: every module this agent has, running or not, removes the kernel hooks it
   * installed (a module that is not running may have left them from before a restart), then all
   * stop. Returns the modules whose removal failed, with the reason.
   */
  async removeFromHost(): Promise<{ module: string; reason: string }[]> {
    const failures: { module: string; reason: string }[] = [];
    for (const id of this.#entries.keys()) {
      const running = await this.#ensure(id);
      const remove = running?.module.removeFromHost?.bind(running.module);
      if (!remove) continue;
      const outcome = await this.#guard('removing kernel hooks', remove);
      if (outcome) {
        failures.push({ module: id, reason: outcome });
        this.#options.log.error('module could not remove its kernel hooks', { module: id, reason: outcome });
      } else this.#options.log.info('module removed its kernel hooks', { module: id });
    }
    await this.stopAll();
    return failures;
  }

  /** Off, stopped cleanly, and nothing of it left in force on the host. */
  #leftNothing(running: Running): boolean {
    try {
      return running.module.status().state !== 'error' && (running.module.kernelHooks?.() ?? []).length === 0;
    } catch {
      return false;
    }
  }

  async #ensure(id: string): Promise<Running | null> {
    const existing = this.#running.get(id);
    if (existing) return existing;
    const entry = this.#entries.get(id);
    if (!entry) {
      this.#unknown.add(id);
      return null;
    }
    const dataDir = join(this.#options.dataDir, 'modules', id);
    const log = this.#options.log.child({ module: id });
    const context: AgentModuleContext = {
      dataDir,
      log,
      ...(this.#options.localOptions ? { localOptions: this.#options.localOptions } : {}),
      ...(this.#options.managerUrl ? { managerUrl: this.#options.managerUrl } : {}),
      ...(this.#options.firstContact ? { firstContact: this.#options.firstContact } : {}),
      emit: (event) => {
        try {
          this.#options.emit(event);
        } catch (error) {
          log.error('event could not be spooled', { error: (error as Error).message });
        }
      },
      ...(this.#options.sourceSpool ? { sourceSpool: this.#options.sourceSpool(id) } : {}),
      reportInventory: (inventory) => {
        try {
          this.#options.reportInventory(inventory);
        } catch (error) {
          log.error('inventory could not be reported', { error: (error as Error).message });
        }
      },
      writeStateFile: moduleStateFileWriter(dataDir),
      ...(this.#options.updates ? { updates: this.#options.updates } : {}),
    };
    try {
      const factory = await entry.load();
      // Loading may have taken a turn of the event loop: another caller may have made it meanwhile.
      const made = this.#running.get(id);
      if (made) return made;
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const running: Running = { module: factory.create(context), failure: null };
      this.#running.set(id, running);
      return running;
    } catch (error) {
      const failed: AgentModule = {
        id,
        apply: async () => {},
        stop: async () => {},
        status: () => ({ id, state: 'error', reason: `could not start: ${(error as Error).message}` }),
      };
      const running: Running = { module: failed, failure: `could not start: ${(error as Error).message}` };
      this.#running.set(id, running);
      return running;
    }
  }

  async #stop(id: string): Promise<void> {
    const running = this.#running.get(id);
    if (!running) return;
    this.#running.delete(id);
    const outcome = await this.#guard('stop', () => running.module.stop());
    if (outcome) this.#options.log.error('module failed to stop', { module: id, reason: outcome });
  }

  /** Runs one module operation with a deadline; returns the failure reason or null. */
  async #guard(what: string, operation: () => Promise<void>): Promise<string | null> {
    const timeoutMs = this.#options.operationTimeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`${what} did not finish within ${timeoutMs} ms`), timeoutMs);
      });
      const work = Promise.resolve()
        .then(operation)
        .then(
          () => null,
          (error: unknown) => `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
