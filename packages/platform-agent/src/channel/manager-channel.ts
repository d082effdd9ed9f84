import https from 'node:https';
import { parseWith } from '@bulwark/protocol';
import type { Static, TSchema } from '@sinclair/typebox';
import { backoffDelay, sleep } from './backoff.js';
import { type HttpsJsonResult, httpsJson } from './https-json.js';

export interface ChannelCredentials {
  readonly managerUrl: string;
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
  readonly #base: URL;
  #agent: https.Agent;
  #credentials: ChannelCredentials;

  constructor(credentials: ChannelCredentials) {
    this.#base = new URL(credentials.managerUrl);
    this.#credentials = credentials;
    this.#agent = ManagerChannel.#agentFor(credentials);
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
    return new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      key: credentials.keyPem,
      cert: credentials.certificatePem,
      ca: credentials.caPem,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
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
      const result = await this.#once(method, path, body, options);
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

  #once(method: 'GET' | 'POST', path: string, body: unknown, options: CallOptions): Promise<HttpsJsonResult> {
    return httpsJson({
      url: new URL(path, this.#base),
      method,
      body,
      timeoutMs: options.timeoutMs ?? 30_000,
      agent: this.#agent,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
