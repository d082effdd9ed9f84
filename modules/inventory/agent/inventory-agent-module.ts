import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  ModuleConfiguration,
  ModuleStatus,
} from '@bulwark/protocol';
import { describeIssues, parseWith } from '@bulwark/protocol';
import { assembleInventory, InventoryAgentConfiguration } from '../engine/index.js';
import { defaultHostPaths, type HostPaths, readHostSources } from './host-sources.js';

/**
 * Collects the host inventory when applied and then every `intervalSeconds`, and hands it to the
 * agent, which sends it to the manager when it changed. Sources the host lacks (rpm on Debian,
 * systemd in a container) are counted as missing, not errors.
 */
class InventoryAgentModule implements AgentModule {
  readonly id = 'inventory';
  readonly #context: AgentModuleContext;
  readonly #paths: HostPaths;
  #intervalSeconds: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #collecting: Promise<void> | null = null;
  #status: ModuleStatus = { id: 'inventory', state: 'off' };
  #counters: Record<string, number> = { collections: 0, failures: 0 };

  constructor(context: AgentModuleContext, paths: HostPaths) {
    this.#context = context;
    this.#paths = paths;
  }

  async apply(configuration: ModuleConfiguration): Promise<void> {
    if (!configuration.enabled) {
      await this.stop();
      return;
    }
    const parsed = parseWith(InventoryAgentConfiguration, configuration.configuration);
    if (!parsed.ok) {
      await this.stop();
      this.#status = { id: this.id, state: 'error', reason: `configuration: ${describeIssues(parsed.issues)}` };
      return;
    }
    if (this.#intervalSeconds === parsed.value.intervalSeconds && this.#timer) return;
    this.#intervalSeconds = parsed.value.intervalSeconds;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.collect(), parsed.value.intervalSeconds * 1000);
    this.#timer.unref();
    await this.collect();
  }

  /** One collection; concurrent callers share it. */
  collect(): Promise<void> {
    this.#collecting ??= this.#collectOnce().finally(() => {
      this.#collecting = null;
    });
    return this.#collecting;
  }

  async #collectOnce(): Promise<void> {
    const started = Date.now();
    try {
      const { inventory, skipped, missing } = assembleInventory(await readHostSources(this.#paths));
      if (!this.#timer) return; // stopped while collecting
      this.#counters = {
        ...this.#counters,
        collections: (this.#counters.collections ?? 0) + 1,
        packages: inventory.packages.length,
        listeningPorts: inventory.listeningPorts.length,
        services: inventory.services.length,
        users: inventory.users.length,
        skippedLines: Object.values(skipped).reduce((a, b) => a + b, 0),
        missingSources: missing.length,
        lastCollectionMilliseconds: Date.now() - started,
      };
      this.#status = { id: this.id, state: 'on', counters: this.#counters };
      // A copy: the parsed names and versions are V8 slices of the source texts, and the kept
      // inventory would hold all of them alive (1.5 MB of /var/lib/dpkg/status on an idle agent).
      this.#context.reportInventory(structuredClone(inventory));
    } catch (error) {
      this.#counters = { ...this.#counters, failures: (this.#counters.failures ?? 0) + 1 };
      this.#status = {
        id: this.id,
        state: 'error',
        reason: `collection failed: ${(error as Error).message}`,
        counters: this.#counters,
      };
      this.#context.log.error('inventory collection failed', { error: (error as Error).message });
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#intervalSeconds = null;
    this.#status = { id: this.id, state: 'off' };
  }

  status(): ModuleStatus {
    return this.#status;
  }

  async run(command: string): Promise<unknown> {
    if (command === 'collect-now') {
      await this.collect();
      return this.#status;
    }
    throw new Error(`inventory has no command "${command}"; it knows: collect-now`);
  }
}

export function createInventoryModuleFactory(paths: HostPaths = defaultHostPaths): AgentModuleFactory {
  return { id: 'inventory', create: (context) => new InventoryAgentModule(context, paths) };
}

export const agentModule: AgentModuleFactory = createInventoryModuleFactory();
