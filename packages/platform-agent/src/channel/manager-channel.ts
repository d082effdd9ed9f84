import type https from 'node:https';
import { type HttpsJsonResult, httpsJson, tlsAgent } from '@bulwark/https-client';
import { parseWith } from '@bulwark/protocol';
import type { Static, TSchema } from '@sinclair/typebox';
import { AGENT_REQUEST_HEADERS } from '../agent-version.js';
import { backoffDelay, sleep } from './backoff.js';

export interface ChannelCredentials {
  readonly managerUrl: string;
  /** Other nodes of the manager's cluster: tried in order, at once, when the current one cannot be reached. */
  readonly alternateManagerUrls?: readonly string[];
  /** The nodes the cluster named last (heartbeat answers): tried after the ones above. */
  readonly clusterManagerUrls?: readonly string[];
  readonly keyPem: string;
  readonly certificatePem: string;
  /** The manager's CA: the only certificate authority this channel trusts. */
  readonly caPem: string;
}

export type ChannelResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly status?: number;
      readonly problemType?: string;
      readonly message: string;
      readonly retryable: boolean;
    };

export interface ChannelOptions {
  /** Told when the channel moves to another manager node (or back to the first). */
  readonly onFailover?: (change: { readonly from: string; readonly to: string; readonly reason: string }) => void;
  /** After this long on another node, the first one is tried again (default 5 minutes). */
  readonly preferredRetryMs?: number;
  readonly now?: () => number;
}

/** How long the channel stays on another node before it tries the first (the preferred) one again. */
export const DEFAULT_PREFERRED_RETRY_MS = 5 * 60_000;

export interface CallOptions {
  readonly timeoutMs?: number;
  /** Further tries after the first on retryable failures (network, 5xx, 429). */
  readonly retries?: number;
  readonly signal?: AbortSignal;
}

/**
 * The agent's only way to the manager: outgoing HTTPS with mutual TLS, trusting the manager's CA
 * alone, over kept-alive connections. The agent never listens; the manager reaches it only by
 * answering the long-poll wake call.
 */
export class ManagerChannel {
  /** The nodes the agent was activated with, in order: always kept, the first is the preferred one. */
  readonly #activated: readonly string[];
  #cluster: readonly string[];
  #bases: readonly URL[];
  #current = 0;
  #leftPreferredAt = 0;
  readonly #options: ChannelOptions;
  #agent: https.Agent;
  #credentials: ChannelCredentials;

  constructor(credentials: ChannelCredentials, options: ChannelOptions = {}) {
    this.#activated = [credentials.managerUrl, ...(credentials.alternateManagerUrls ?? [])].map(
      (u) => new URL(u).origin,
    );
    this.#cluster = ManagerChannel.#origins(credentials.clusterManagerUrls ?? []);
    this.#bases = this.#union();
    this.#options = options;
    this.#credentials = credentials;
    this.#agent = ManagerChannel.#agentFor(credentials);
  }

  static #origins(urls: readonly string[]): string[] {
    const origins: string[] = [];
    for (const url of urls) {
      try {
        origins.push(new URL(url).origin);
      } catch {
        // A malformed entry is of no use as a node; the others still are.
      }
    }
    return origins;
  }

  #union(): URL[] {
    return [...new Set([...this.#activated, ...this.#cluster])].map((u) => new URL(u));
  }

  /** Every node calls may go to, in the order they are tried. */
  get managerUrls(): readonly string[] {
    return this.#bases.map((u) => u.origin);
  }

  /** The nodes the cluster named last (empty until a heartbeat answer names them). */
  get clusterManagerUrls(): readonly string[] {
    return this.#cluster;
  }

  /**
   * The cluster's current list of nodes (a heartbeat answer): calls fail over across it and the
   * nodes the agent was activated with. The node in use stays in use. Returns whether the list changed.
   */
  learnClusterNodes(urls: readonly string[]): boolean {
    const cluster = ManagerChannel.#origins(urls);
    if (cluster.length === this.#cluster.length && cluster.every((u, i) => u === this.#cluster[i])) return false;
    const current = this.currentManagerUrl;
    this.#cluster = cluster;
    this.#bases = this.#union();
    const index = this.#bases.findIndex((u) => u.origin === current);
    // The node in use has left the list: the next call goes to the preferred node.
    this.#current = index === -1 ? 0 : index;
    return true;
  }

  /** The manager node calls go to now. */
  get currentManagerUrl(): string {
    return (this.#bases[this.#current] as URL).origin;
  }

  /**
   * Moves off node `from` (if no other call has moved already), to the next one, or back to the
   * first. Only the node a failed call went to is left, so calls failing together move once.
   */
  #moveFrom(from: number, to: number, reason: string): void {
    if (this.#current !== from || from === to) return;
    this.#current = to;
    if (from === 0) this.#leftPreferredAt = (this.#options.now ?? Date.now)();
    this.#options.onFailover?.({
      from: (this.#bases[from] as URL).origin,
      to: (this.#bases[to] as URL).origin,
      reason,
    });
  }

  #returnToPreferredIfDue(): void {
    if (this.#current === 0) return;
    const due = this.#leftPreferredAt + (this.#options.preferredRetryMs ?? DEFAULT_PREFERRED_RETRY_MS);
    if ((this.#options.now ?? Date.now)() >= due) this.#moveFrom(this.#current, 0, 'time to try the first node again');
  }

  /** A renewed key and certificate: every call from now on uses them. */
  replaceCredentials(keyPem: string, certificatePem: string): void {
    const previous = this.#agent;
    this.#credentials = { ...this.#credentials, keyPem, certificatePem };
    this.#agent = ManagerChannel.#agentFor(this.#credentials);
    // Its calls under way finish (a wake poll is held up to a minute); then its sockets go.
    setTimeout(() => previous.destroy(), 120_000).unref();
  }

  static #agentFor(credentials: ChannelCredentials): https.Agent {
    return tlsAgent({
      caPem: credentials.caPem,
      keyPem: credentials.keyPem,
      certificatePem: credentials.certificatePem,
    });
  }

  async call<S extends TSchema>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    schema: S,
    options: CallOptions = {},
  ): Promise<ChannelResult<Static<S>>> {
    const retries = options.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      this.#returnToPreferredIfDue();
      let node = this.#current;
      let result = await this.#once(node, method, path, body, options);
      // A node that cannot be reached: each other node is tried at once, before any back-off.
      for (let hop = 1; !result.ok && result.kind === 'network' && hop < this.#bases.length; hop++) {
        if (options.signal?.aborted) break;
        this.#moveFrom(node, (node + 1) % this.#bases.length, result.message);
        node = this.#current;
        result = await this.#once(node, method, path, body, options);
      }
      if (result.ok) {
        const parsed = parseWith(schema, result.body);
        if (parsed.ok) return { ok: true, value: parsed.value };
        return {
          ok: false,
          status: result.status,
          message: `unexpected answer to ${method} ${path}: ${parsed.issues
            .slice(0, 3)
            .map((i) => `${i.path} ${i.message}`)
            .join('; ')}`,
          retryable: false,
        };
      }
      const failure = {
        ok: false as const,
        message: `${method} ${path}: ${result.message}`,
        retryable: result.retryable,
        ...(result.status === undefined ? {} : { status: result.status }),
        ...(result.kind === 'http' && result.problemType !== undefined ? { problemType: result.problemType } : {}),
      };
      if (!result.retryable || attempt >= retries || options.signal?.aborted) return failure;
      if (!(await sleep(backoffDelay(attempt, 500, 10_000), options.signal))) return failure;
    }
  }

  #once(
    node: number,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    options: CallOptions,
  ): Promise<HttpsJsonResult> {
    return httpsJson({
      url: new URL(path, this.#bases[node]),
      method,
      body,
      headers: AGENT_REQUEST_HEADERS,
      timeoutMs: options.timeoutMs ?? 30_000,
      agent: this.#agent,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
