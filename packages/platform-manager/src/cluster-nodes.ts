import { randomUUID } from 'node:crypto';
import { MAX_MANAGER_NODES } from '@bulwark/protocol';
import type { Kysely } from 'kysely';
import type { Database } from './storage/schema.js';

/** How often a node renews its lease and re-reads the list of live nodes. */
export const DEFAULT_NODE_LEASE_RENEW_MS = 10_000;
/** A node that has not renewed for this long counts as gone (three missed renewals). */
export const NODE_LEASE_MS_PER_RENEW = 3;

export interface ClusterNodesOptions {
  readonly db: Kysely<Database>;
  /** The URL agents reach this node's agent port at (`--advertise-url`). */
  readonly agentUrl: string;
  readonly renewMs?: number;
  readonly now?: () => number;
  /** A renewal that failed (the database away): the last known list stays in use. */
  readonly onError?: (error: unknown) => void;
}

/**
 * This node's place in the cluster's list of nodes (`manager_nodes`): it registers itself with a
 * lease, renews it, and keeps the agent URLs of the live nodes in memory, so a heartbeat answer
 * carries the list without a query. A node that dies drops out of the list once its lease ends;
 * one that stops cleanly deletes its row at once.
 */
export class ClusterNodes {
  readonly #db: Kysely<Database>;
  readonly #nodeId = randomUUID();
  readonly #agentUrl: string;
  readonly #renewMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  #startedAt = 0;
  #urls: readonly string[];
  #timer: NodeJS.Timeout | null = null;
  #renewing: Promise<void> | null = null;

  constructor(options: ClusterNodesOptions) {
    this.#db = options.db;
    this.#agentUrl = new URL(options.agentUrl).origin;
    this.#renewMs = options.renewMs ?? DEFAULT_NODE_LEASE_RENEW_MS;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#urls = [this.#agentUrl];
  }

  /** The agent URLs of the live nodes, oldest node first (at most MAX_MANAGER_NODES), this one always among them. */
  get agentUrls(): readonly string[] {
    return this.#urls;
  }

  async start(): Promise<void> {
    this.#startedAt = this.#now();
    await this.#renew();
    this.#timer = setInterval(() => {
      this.#renewing ??= this.#renew()
        .catch((error: unknown) => this.#onError(error))
        .finally(() => {
          this.#renewing = null;
        });
    }, this.#renewMs);
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    const now = this.#now();
    const leaseExpiresAt = now + this.#renewMs * NODE_LEASE_MS_PER_RENEW;
    await this.#db
      .insertInto('manager_nodes')
      .values({
        node_id: this.#nodeId,
        agent_url: this.#agentUrl,
        started_at: this.#startedAt,
        lease_expires_at: leaseExpiresAt,
      })
      .onConflict((oc) =>
        oc.column('node_id').doUpdateSet({ agent_url: this.#agentUrl, lease_expires_at: leaseExpiresAt }),
      )
      .execute();
    const rows = await this.#db
      .selectFrom('manager_nodes')
      .select(['agent_url'])
      .where('lease_expires_at', '>', now)
      .orderBy('started_at')
      .orderBy('node_id')
      .execute();
    // Two rows may name one URL (a node restarted before its old lease ended): the agent needs it once.
    // The same order on every node, so an agent moving between nodes is not handed a "new" list.
    const urls = [...new Set([...rows.map((r) => r.agent_url), this.#agentUrl])];
    this.#urls = urls.slice(0, MAX_MANAGER_NODES);
    // Rows of nodes long gone are of no use to anyone; any node may remove them.
    await this.#db
      .deleteFrom('manager_nodes')
      .where('lease_expires_at', '<', now - this.#renewMs * NODE_LEASE_MS_PER_RENEW)
      .execute();
  }

  /** Leaves the cluster's list at once (a clean stop), so agents stop being sent here. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#renewing;
    await this.#db
      .deleteFrom('manager_nodes')
      .where('node_id', '=', this.#nodeId)
      .execute()
      .catch((error: unknown) => this.#onError(error));
  }
}
