import {
  type AgentModule,
  AgentRoutes,
  isSnapshotSource,
  MAX_SNAPSHOT_ENTRIES,
  MAX_SNAPSHOTS_OFFERED,
  type ModuleSnapshot,
  SNAPSHOT_PAGE_ENTRIES,
  SnapshotOfferAnswer,
  type SnapshotPage,
  SnapshotPageAck,
  type SnapshotVersion,
} from '@bulwark/protocol';
import type { ManagerChannel } from '../channel/manager-channel.js';
import type { AgentLogger } from '../log/json-logger.js';

export interface SnapshotSyncOptions {
  /** The modules running now. */
  readonly modules: () => readonly AgentModule[];
  readonly channel: Pick<ManagerChannel, 'call'>;
  readonly log: AgentLogger;
  readonly signal: AbortSignal;
}

/**
 * Keeps the manager's copies of module snapshots (integrity baselines) current. `sync()` is
 * called after each heartbeat and command: it lists the snapshots the modules hold, and when that
 * list differs from the last one the manager took, offers it and uploads what the manager lacks,
 * in pages, at most MAX_SNAPSHOT_ENTRIES entries each. A failure leaves the list untaken, so the
 * next sync tries again; after a restart the first sync offers once and uploads nothing the
 * manager already has.
 */
export class SnapshotSync {
  readonly #options: SnapshotSyncOptions;
  #taken: string | null = null;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(options: SnapshotSyncOptions) {
    this.#options = options;
  }

  sync(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#once();
        } catch (error) {
          this.#options.log.warn('snapshot sync failed', { error: (error as Error).message });
        }
      } while (this.#again && !this.#options.signal.aborted);
    })().finally(() => {
      this.#running = null;
    });
  }

  /** Resolves when no sync is running (tests; stop). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #list(): { offered: SnapshotVersion[]; sources: Map<string, AgentModule> } {
    const offered: SnapshotVersion[] = [];
    const sources = new Map<string, AgentModule>();
    for (const module of this.#options.modules()) {
      if (!isSnapshotSource(module)) continue;
      try {
        for (const s of module.snapshots()) offered.push({ module: module.id, name: s.name, version: s.version });
        sources.set(module.id, module);
      } catch (error) {
        this.#options.log.warn('module snapshots could not be listed', {
          module: module.id,
          error: (error as Error).message,
        });
      }
    }
    offered.sort((a, b) => (a.module + a.name < b.module + b.name ? -1 : 1));
    return { offered: offered.slice(0, MAX_SNAPSHOTS_OFFERED), sources };
  }

  async #once(): Promise<void> {
    const { channel, signal, log } = this.#options;
    const { offered, sources } = this.#list();
    const digest = JSON.stringify(offered);
    if (digest === this.#taken) return;
    const answer = await channel.call(
      'POST',
      AgentRoutes.snapshotOffer.path,
      { snapshots: offered },
      SnapshotOfferAnswer,
      { retries: 2, signal },
    );
    if (!answer.ok) {
      log.warn('snapshot offer failed', { reason: answer.message });
      return;
    }
    let complete = true;
    for (const wanted of answer.value.wanted) {
      const module = sources.get(wanted.module);
      const version = offered.find((o) => o.module === wanted.module && o.name === wanted.name)?.version;
      if (!module || !isSnapshotSource(module) || version === undefined) continue;
      const snapshot = await module.readSnapshot(wanted.name, MAX_SNAPSHOT_ENTRIES);
      // Rebuilt or dropped since it was listed: the next sync offers what is there now.
      if (snapshot === undefined || snapshot.version !== version) {
        complete = false;
        continue;
      }
      if (!(await this.#upload(wanted.module, snapshot))) return;
      log.info('snapshot sent', {
        module: wanted.module,
        name: wanted.name,
        entries: snapshot.entries.length,
        total: snapshot.total,
      });
    }
    if (complete) this.#taken = digest;
  }

  async #upload(module: string, snapshot: ModuleSnapshot): Promise<boolean> {
    const { channel, signal, log } = this.#options;
    const entries = snapshot.entries.slice(0, MAX_SNAPSHOT_ENTRIES);
    for (let offset = 0; offset === 0 || offset < entries.length; offset += SNAPSHOT_PAGE_ENTRIES) {
      const page: SnapshotPage = {
        module,
        name: snapshot.name,
        version: snapshot.version,
        ...(snapshot.builtAt === undefined ? {} : { builtAt: snapshot.builtAt }),
        total: Math.max(snapshot.total, entries.length),
        offset,
        entries: entries.slice(offset, offset + SNAPSHOT_PAGE_ENTRIES),
        final: offset + SNAPSHOT_PAGE_ENTRIES >= entries.length,
      };
      const result = await channel.call('POST', AgentRoutes.snapshotPage.path, page, SnapshotPageAck, {
        retries: 3,
        timeoutMs: 120_000,
        signal,
      });
      if (!result.ok) {
        log.warn('snapshot upload failed', { module, name: snapshot.name, reason: result.message });
        return false;
      }
    }
    return true;
  }
}
