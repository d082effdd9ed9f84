import { AgentRoutes, type Inventory, type InventoryReport, inventoryDigest } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { ManagerChannel } from '../channel/manager-channel.js';
import type { AgentLogger } from '../log/json-logger.js';

export interface InventorySenderOptions {
  readonly channel: Pick<ManagerChannel, 'call'>;
  readonly log: AgentLogger;
  /** Aborted when the agent stops: nothing new is sent after that. */
  readonly signal: AbortSignal;
  /** The manager took an inventory (the daemon's last contact). */
  readonly onContact: () => void;
  /** An upload failed; `reason` says why. */
  readonly onFailure: (what: string, reason: string) => void;
}

/**
 * Keeps the manager's copy of the host inventory current. Modules report an inventory whenever
 * they collect one; a new one (by digest) is sent at once, its digest goes in every heartbeat,
 * and the manager can ask for it again in a heartbeat answer.
 */
export class InventorySender {
  readonly #options: InventorySenderOptions;
  #latest: { inventory: Inventory; digest: string } | null = null;
  #sentDigest: string | null = null;
  #sending: Promise<void> | null = null;

  constructor(options: InventorySenderOptions) {
    this.#options = options;
  }

  /** The digest of the latest inventory reported, if any, for the heartbeat. */
  get digest(): string | undefined {
    return this.#latest?.digest;
  }

  report(inventory: Inventory): void {
    const digest = inventoryDigest(inventory);
    this.#latest = { inventory, digest };
    if (digest !== this.#sentDigest && !this.#options.signal.aborted) void this.send();
  }

  /** After a heartbeat: sends when the manager asked for it, or when the latest was never sent. */
  async afterHeartbeat(askedFor: boolean): Promise<void> {
    if (this.#latest && (askedFor || this.#sentDigest !== this.#latest.digest)) await this.send();
  }

  /** Sends the latest inventory; calls made while one is in flight wait for it and then send again if it changed. */
  async send(): Promise<void> {
    while (this.#sending) await this.#sending;
    const current = this.#latest;
    if (!current || current.digest === this.#sentDigest) return;
    const { channel, log, signal } = this.#options;
    this.#sending = (async () => {
      const result = await channel.call(
        'POST',
        AgentRoutes.inventory.path,
        { inventory: current.inventory } satisfies InventoryReport,
        Type.Unknown(),
        { retries: 3, timeoutMs: 120_000, signal },
      );
      if (result.ok) {
        this.#sentDigest = current.digest;
        this.#options.onContact();
        log.info('inventory sent', { digest: current.digest, packages: current.inventory.packages.length });
      } else {
        this.#options.onFailure('inventory upload failed', result.message);
      }
    })().finally(() => {
      this.#sending = null;
    });
    await this.#sending;
  }
}
