import type http from 'node:http';
import type { Writable } from 'node:stream';
import { answerBody, DEFAULT_MAX_RESPONSE_BYTES, httpsJson, openRequest, readAnswer } from '@bulwark/https-client';
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

const MAX_RESPONSE_BYTES = DEFAULT_MAX_RESPONSE_BYTES;

export function createManagerClient(options: ClientOptions): ManagerClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const headers = {
    authorization: `Bearer ${options.apiKey}`,
    accept: 'application/json, application/problem+json',
  };

  function urlFor(path: string, query: Query = {}): URL {
    const url = new URL(options.baseUrl.href.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url;
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

  function call(method: string, url: URL, body: unknown) {
    return { url, method, body, headers, agent: options.agent, timeoutMs };
  }

  return {
    async request(method, path, requestOptions = {}) {
      const url = urlFor(path, requestOptions.query);
      const result = await httpsJson({
        ...call(method, url, requestOptions.body),
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      if (result.ok) return ok({ status: result.status, body: result.body });
      if (result.kind === 'http') return { ok: false, error: problemToCliError(result.status ?? 0, result.body) };
      if (result.unread === 'not-json')
        return fail(ExitCode.failure, `the manager answered ${method} ${path} with something that is not JSON`);
      if (result.unread === 'too-large')
        return fail(ExitCode.failure, `the manager's answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
      if (result.unread === 'broken')
        return fail(ExitCode.failure, `the connection broke while reading the answer: ${result.error?.message}`);
      return transportError(result.error ?? new Error(result.message), url);
    },

    async stream(path, query, sink, onProgress) {
      const url = urlFor(path, query);
      const opened = await openRequest(call('GET', url, undefined));
      if (!opened.ok) return transportError(opened.error, url);
      const response = opened.response;
      const status = response.statusCode ?? 0;
      if (status >= 400) {
        const text = await readAnswer(response, MAX_RESPONSE_BYTES);
        return { ok: false, error: problemToCliError(status, text.ok ? answerBody(text.text).body : null) };
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
