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
  readonly #bases: readonly URL[];
  #current = 0;
  #leftPreferredAt = 0;
  readonly #options: ChannelOptions;
  #agent: https.Agent;
  #credentials: ChannelCredentials;

  constructor(credentials: ChannelCredentials, options: ChannelOptions = {}) {
    const urls = [credentials.managerUrl, ...(credentials.alternateManagerUrls ?? [])];
    this.#bases = [...new Set(urls.map((u) => new URL(u).origin))].map((u) => new URL(u));
    this.#options = options;
    this.#credentials = credentials;
    this.#agent = ManagerChannel.#agentFor(credentials);
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
