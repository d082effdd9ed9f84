import http from 'node:http';
import https from 'node:https';
import type { Writable } from 'node:stream';
import { type CliResult, ExitCode, fail, ok } from './cli-error.js';
import { problemToCliError } from './problem-message.js';
import { type TrustSource, tlsFailureToCliError } from './tls-trust.js';

export type QueryValue = string | number | boolean | undefined | null;
export type Query = Readonly<Record<string, QueryValue>>;

export interface ApiResponse {
  readonly status: number;
  /** Parsed JSON, or null for an empty body (204). */
  readonly body: unknown;
}

export interface StreamProgress {
  readonly bytes: number;
  readonly elapsedMs: number;
}

/** The REST API as the commands see it: every call answers a value, never throws. */
export interface ManagerClient {
  request(method: string, path: string, options?: { query?: Query; body?: unknown }): Promise<CliResult<ApiResponse>>;
  /** Copies a (possibly long) response body into `sink`, reporting progress as it goes. */
  stream(
    path: string,
    query: Query,
    sink: Writable,
    onProgress: (progress: StreamProgress) => void,
  ): Promise<CliResult<StreamProgress>>;
  close(): void;
}

export interface ClientOptions {
  readonly baseUrl: URL;
  readonly apiKey: string;
  readonly trust: TrustSource;
  readonly agent: http.Agent;
  /** Per request; for streams, the longest silence tolerated. */
  readonly timeoutMs?: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export function createManagerClient(options: ClientOptions): ManagerClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = options.baseUrl.protocol === 'http:' ? http : https;

  function urlFor(path: string, query: Query = {}): URL {
    const url = new URL(options.baseUrl.href.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url;
  }

  function open(
    method: string,
    url: URL,
    body: unknown,
  ): Promise<{ ok: true; response: http.IncomingMessage } | { ok: false; error: Error }> {
    return new Promise((resolve) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = {
        authorization: `Bearer ${options.apiKey}`,
        accept: 'application/json, application/problem+json',
      };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      }
      const request = transport.request(
        url,
        { method, headers, agent: options.agent, timeout: timeoutMs },
        (response) => resolve({ ok: true, response }),
      );
      request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      request.on('error', (error) => resolve({ ok: false, error }));
      request.end(payload);
    });
  }

  function transportError(error: Error & { code?: string }, url: URL) {
    const tlsError = tlsFailureToCliError(error, options.trust);
    if (tlsError !== null) return tlsError;
    if (error.code === 'ECONNREFUSED') {
      return fail(
        ExitCode.failure,
        `cannot connect to the manager at ${url.origin} (connection refused)`,
        'Is it running? Check --manager or BULWARK_MANAGER.',
      );
    }
    if (error.code === 'ETIMEDOUT')
      return fail(ExitCode.failure, `the manager at ${url.origin} did not answer in time`);
    if (error.code === 'EPROTO' || /wrong version number/i.test(error.message)) {
      return fail(
        ExitCode.failure,
        `TLS failed with ${url.origin}: ${error.message}`,
        'Does the manager speak HTTPS on that port? Use https:// in --manager.',
      );
    }
    return fail(ExitCode.failure, `request to ${url.origin} failed: ${error.message}`);
  }

  async function readBody(response: http.IncomingMessage): Promise<CliResult<string>> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response) {
        size += (chunk as Buffer).length;
        if (size > MAX_RESPONSE_BYTES) {
          response.destroy();
          return fail(ExitCode.failure, `the manager's answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      return fail(ExitCode.failure, `the connection broke while reading the answer: ${(error as Error).message}`);
    }
    return ok(Buffer.concat(chunks).toString('utf8'));
  }

  function parseBody(text: string): unknown {
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  return {
    async request(method, path, requestOptions = {}) {
      const url = urlFor(path, requestOptions.query);
      const opened = await open(method, url, requestOptions.body);
      if (!opened.ok) return transportError(opened.error, url);
      const text = await readBody(opened.response);
      if (!text.ok) return text;
      const status = opened.response.statusCode ?? 0;
      const body = parseBody(text.value);
      if (status >= 400) return { ok: false, error: problemToCliError(status, body) };
      if (typeof body === 'string') {
        return fail(ExitCode.failure, `the manager answered ${method} ${path} with something that is not JSON`);
      }
      return ok({ status, body });
    },

    async stream(path, query, sink, onProgress) {
      const url = urlFor(path, query);
      const opened = await open('GET', url, undefined);
      if (!opened.ok) return transportError(opened.error, url);
      const response = opened.response;
      const status = response.statusCode ?? 0;
      if (status >= 400) {
        const text = await readBody(response);
        return { ok: false, error: problemToCliError(status, text.ok ? parseBody(text.value) : null) };
      }
      const started = Date.now();
      let bytes = 0;
      let lastReport = started;
      try {
        for await (const chunk of response) {
          bytes += (chunk as Buffer).length;
          if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', resolve));
          const now = Date.now();
          if (now - lastReport >= 1000) {
            lastReport = now;
            onProgress({ bytes, elapsedMs: now - started });
          }
        }
      } catch (error) {
        return fail(ExitCode.failure, `the export broke off after ${bytes} bytes: ${(error as Error).message}`);
      }
      if (!response.complete) return fail(ExitCode.failure, `the export broke off after ${bytes} bytes`);
      return ok({ bytes, elapsedMs: Date.now() - started });
    },

    close() {
      options.agent.destroy();
    },
  };
}
