import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

/** The largest answer read when the caller names no limit. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface HttpsRequest {
  /** https: (http: only where the caller allows it: the CLI against a plain-HTTP console port). */
  readonly url: URL;
  readonly method: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Besides content-type and content-length, which the body sets. */
  readonly headers?: Readonly<Record<string, string>>;
  /** No byte for this long (connecting or answering) fails the request. */
  readonly timeoutMs: number;
  /** A connection pool (kept-alive, with its TLS set-up: tlsAgent, PinnedAgent). */
  readonly agent?: http.Agent;
  /** TLS options for a one-off connection (tlsOptions); ignored when `agent` is given. */
  readonly tls?: https.RequestOptions;
  readonly signal?: AbortSignal;
  /** Called once the TLS handshake is done, before the body is sent; a string aborts the request. */
  readonly checkPeer?: (socket: TLSSocket) => string | null;
}

export type OpenResult =
  | { readonly ok: true; readonly response: http.IncomingMessage }
  | { readonly ok: false; readonly kind: 'network' | 'peer'; readonly error: NodeJS.ErrnoException };

/**
 * Sends one request and answers the response as it starts (its body not read yet), or the error
 * that prevented it — as a value, never thrown. What the JSON call and the CLI's streamed
 * export share.
 */
export function openRequest(request: HttpsRequest): Promise<OpenResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: OpenResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
    const headers: Record<string, string | number> = { ...request.headers };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const transport = request.url.protocol === 'http:' ? http : https;
    let req: http.ClientRequest;
    try {
      req = transport.request(request.url, {
        ...(request.agent ? { agent: request.agent } : { ...request.tls, agent: false }),
        method: request.method,
        headers,
        timeout: request.timeoutMs,
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      finish({ ok: false, kind: 'network', error: error as Error });
      return;
    }
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error(`no answer within ${request.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (error) => finish({ ok: false, kind: 'network', error }));
    req.on('response', (response) => finish({ ok: true, response }));
    const send = () => {
      const problem = request.checkPeer?.(req.socket as TLSSocket) ?? null;
      if (problem !== null) {
        finish({ ok: false, kind: 'peer', error: new Error(problem) });
        req.destroy();
        return;
      }
      req.end(payload);
    };
    if (request.checkPeer) {
      req.on('socket', (socket) => {
        const tlsSocket = socket as TLSSocket;
        if (!tlsSocket.connecting && tlsSocket.encrypted && tlsSocket.getPeerCertificate()?.raw) send();
        else tlsSocket.once('secureConnect', send);
      });
    } else send();
  });
}

export type ReadResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly kind: 'too-large'; readonly limit: number }
  | { readonly ok: false; readonly kind: 'broken'; readonly error: Error };

/** Reads a whole answer as UTF-8, refusing one over `limit` bytes (the connection is then dropped). */
export async function readAnswer(
  response: http.IncomingMessage,
  limit = DEFAULT_MAX_RESPONSE_BYTES,
): Promise<ReadResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        response.destroy();
        return { ok: false, kind: 'too-large', limit };
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    return { ok: false, kind: 'broken', error: error as Error };
  }
  if (!response.complete) return { ok: false, kind: 'broken', error: new Error('the answer was cut short') };
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

export type HttpsJsonResult = { readonly ok: true; readonly status: number; readonly body: unknown } | HttpsJsonFailure;

export interface HttpsJsonFailure {
  readonly ok: false;
  /**
   * network: no answer (refused, reset, timed out, TLS refused — `error.code` says which);
   * peer: `checkPeer` refused the manager; http: an answer of 4xx/5xx; response: an answer not
   * read (too large, broken off, not JSON).
   */
  readonly kind: 'network' | 'http' | 'response' | 'peer';
  readonly status?: number;
  /** The `type` of a problem+json answer, e.g. urn:bulwark:problem:computer-deactivated. */
  readonly problemType?: string;
  /** For http: the answer, parsed when it is JSON, else its text. */
  readonly body?: unknown;
  /** For network: the error as Node raised it. */
  readonly error?: NodeJS.ErrnoException;
  /** Why an answer that came was not used (too-large and not-json: kind response; broken: kind network). */
  readonly unread?: 'too-large' | 'broken' | 'not-json';
  readonly message: string;
  readonly retryable: boolean;
}

/** One JSON request. Never throws: failures come back as values saying whether to retry. */
export async function httpsJson(
  request: HttpsRequest & { readonly maxResponseBytes?: number },
): Promise<HttpsJsonResult> {
  const opened = await openRequest(request);
  if (!opened.ok) {
    if (opened.kind === 'peer') return { ok: false, kind: 'peer', message: opened.error.message, retryable: false };
    return {
      ok: false,
      kind: 'network',
      error: opened.error,
      message: describeNetworkError(opened.error),
      retryable: true,
    };
  }
  const status = opened.response.statusCode ?? 0;
  const read = await readAnswer(opened.response, request.maxResponseBytes);
  if (!read.ok) {
    if (read.kind === 'too-large')
      return {
        ok: false,
        kind: 'response',
        unread: 'too-large',
        message: `answer larger than ${read.limit} bytes`,
        retryable: false,
      };
    return {
      ok: false,
      kind: 'network',
      unread: 'broken',
      error: read.error,
      message: describeNetworkError(read.error),
      retryable: true,
    };
  }
  const { body, json } = answerBody(read.text);
  const success = status >= 200 && status < 300;
  if (success && !json)
    return { ok: false, kind: 'response', status, unread: 'not-json', message: 'answer is not JSON', retryable: true };
  if (success) return { ok: true, status, body };
  const problemType = json ? (body as { type?: unknown } | null)?.type : undefined;
  return {
    ok: false,
    kind: 'http',
    status,
    body,
    ...(typeof problemType === 'string' ? { problemType } : {}),
    message: `manager answered ${status}${json ? problemDetail(body) : ''}`,
    retryable: status >= 500 || status === 408 || status === 429,
  };
}

/** An answer's body: parsed when it is JSON, null when empty, else its text (an error page, say). */
export function answerBody(text: string): { readonly body: unknown; readonly json: boolean } {
  if (text.trim().length === 0) return { body: null, json: true };
  try {
    return { body: JSON.parse(text), json: true };
  } catch {
    return { body: text, json: false };
  }
}

function problemDetail(body: unknown): string {
  if (body && typeof body === 'object') {
    const { title, detail } = body as { title?: unknown; detail?: unknown };
    const parts = [title, detail].filter((p): p is string => typeof p === 'string' && p.length > 0);
    if (parts.length > 0) return `: ${parts.join(': ').slice(0, 500)}`;
  }
  return '';
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  if (error.name === 'AbortError') return 'aborted';
  if (error.code === 'ETIMEDOUT') return error.message;
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
