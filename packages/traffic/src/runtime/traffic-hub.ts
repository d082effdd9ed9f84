/**
 * One traffic runtime per agent, shared by every module that inspects traffic. Two runtimes
 * steering the same port cannot both see its packets: the first queue's accept ends the
 * packet's walk through the filter table, so the second never gets it. Modules therefore attach
 * their inspectors to the hub under their own name; the hub runs one runtime with all of them
 * and routes each module's findings back to it.
 */
import type { TrafficInspector } from '../engine/inspection-contract.js';
import type { TrafficMode } from '../engine/traffic-engine.js';
import {
  startTrafficEngine,
  type TrafficFindingsEvent,
  type TrafficRuntime,
  type TrafficRuntimeOptions,
  type TrafficRuntimeStats,
} from './traffic-runtime.js';

export type HubOptions = Omit<TrafficRuntimeOptions<unknown>, 'inspectors' | 'onFindings' | 'mode'> & {
  readonly mode?: TrafficMode;
};

interface Attachment {
  readonly inspectors: readonly TrafficInspector<unknown>[];
  readonly onFindings: (event: TrafficFindingsEvent<unknown>) => void;
}

export class TrafficEngineHub {
  readonly #options: HubOptions;
  readonly #attached = new Map<string, Attachment>();
  #runtime: TrafficRuntime<unknown> | undefined;
  #mode: TrafficMode;
  /** Serialises attach/detach: each waits for the previous kernel change. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: HubOptions) {
    this.#options = options;
    this.#mode = options.mode ?? 'inline';
  }

  /** Adds or replaces this owner's inspectors; starts the runtime with the first ones. */
  attach<F>(
    owner: string,
    inspectors: readonly TrafficInspector<F>[],
    onFindings: (event: TrafficFindingsEvent<F>) => void,
  ): Promise<{ ok: true } | { ok: false; reason: string }> {
    this.#attached.set(owner, {
      inspectors: inspectors as readonly TrafficInspector<unknown>[],
      onFindings: onFindings as (event: TrafficFindingsEvent<unknown>) => void,
    });
    return this.#serial(() => this.#apply());
  }

  /** Removes this owner's inspectors; stops the runtime (and its kernel rules) with the last. */
  detach(owner: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    this.#attached.delete(owner);
    return this.#serial(() => this.#apply());
  }

  setMode(mode: TrafficMode): void {
    this.#mode = mode;
    this.#runtime?.setMode(mode);
  }

  stats(): TrafficRuntimeStats | undefined {
    return this.#runtime?.stats();
  }

  owners(): string[] {
    return [...this.#attached.keys()];
  }

  async stop(): Promise<void> {
    this.#attached.clear();
    await this.#serial(() => this.#apply());
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #inspectors(): TrafficInspector<unknown>[] {
    return [...this.#attached.values()].flatMap((a) => a.inspectors);
  }

  #route = (event: TrafficFindingsEvent<unknown>): void => {
    for (const a of this.#attached.values()) {
      if (a.inspectors.some((i) => i.id === event.inspectorId)) a.onFindings(event);
    }
  };

  async #apply(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const inspectors = this.#inspectors();
    if (inspectors.length === 0) {
      const runtime = this.#runtime;
      this.#runtime = undefined;
      await runtime?.stop();
      return { ok: true };
    }
    if (this.#runtime) return this.#runtime.updateInspectors(inspectors);
    const started = await startTrafficEngine<unknown>({
      ...this.#options,
      mode: this.#mode,
      inspectors,
      onFindings: this.#route,
    });
    if (!started.ok) return started;
    this.#runtime = started.runtime;
    return { ok: true };
  }
}

let shared: TrafficEngineHub | undefined;

/**
 * The agent's hub. The first caller's options configure it (queue, deadline...); later callers
 * get the same hub whatever they pass.
 */
export function sharedTrafficEngineHub(options: HubOptions): TrafficEngineHub {
  shared ??= new TrafficEngineHub(options);
  return shared;
}
