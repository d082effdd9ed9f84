import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsJsonRequest {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly agent?: https.Agent;
  /** TLS options for a one-off connection (activation); ignored when `agent` is given. */
  readonly tls?: https.RequestOptions;
  readonly signal?: AbortSignal;
  /** Called once the TLS handshake is done, before the body is sent; returning a string aborts the request. */
  readonly checkPeer?: (socket: TLSSocket) => string | null;
  readonly maxResponseBytes?: number;
}

export type HttpsJsonResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | {
      readonly ok: false;
      readonly kind: 'network' | 'http' | 'response' | 'peer';
      readonly status?: number;
      /** The `type` of a problem+json answer, e.g. urn:bulwark:problem:computer-deactivated. */
      readonly problemType?: string;
      readonly message: string;
      readonly retryable: boolean;
    };

const USER_AGENT = 'bulwark-agent';

/** One JSON request over HTTPS. Never throws: failures come back as values saying whether to retry. */
export function httpsJson(request: HttpsJsonRequest): Promise<HttpsJsonResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: HttpsJsonResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
    const headers: Record<string, string | number> = { accept: 'application/json', 'user-agent': USER_AGENT };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    let req: ReturnType<typeof https.request>;
    try {
      req = https.request(request.url, {
        ...(request.agent ? { agent: request.agent } : { ...request.tls, agent: false }),
        method: request.method,
        headers,
        timeout: request.timeoutMs,
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      finish({ ok: false, kind: 'network', message: (error as Error).message, retryable: false });
      return;
    }
    req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    req.on('error', (error) => {
      finish({ ok: false, kind: 'network', message: describeNetworkError(error), retryable: true });
    });
    const send = () => {
      if (request.checkPeer) {
        const problem = request.checkPeer(req.socket as TLSSocket);
        if (problem) {
          finish({ ok: false, kind: 'peer', message: problem, retryable: false });
          req.destroy();
          return;
        }
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
    req.on('response', (res) => {
      const limit = request.maxResponseBytes ?? 64 * 1024 * 1024;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          finish({ ok: false, kind: 'response', message: `answer larger than ${limit} bytes`, retryable: false });
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error) => finish({ ok: false, kind: 'network', message: error.message, retryable: true }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        if (text.length > 0) {
          try {
            body = JSON.parse(text);
          } catch {
            if (status >= 200 && status < 300) {
              finish({ ok: false, kind: 'response', status, message: 'answer is not JSON', retryable: true });
              return;
            }
          }
        }
        if (status >= 200 && status < 300) {
          finish({ ok: true, status, body });
          return;
        }
        const problemType = (body as { type?: unknown } | null)?.type;
        finish({
          ok: false,
          kind: 'http',
          status,
          ...(typeof problemType === 'string' ? { problemType } : {}),
          message: `manager answered ${status}${problemDetail(body)}`,
          retryable: status >= 500 || status === 408 || status === 429,
        });
      });
    });
  });
}

function problemDetail(body: unknown): string {
  if (body && typeof body === 'object') {
    const { title, detail } = body as { title?: unknown; detail?: unknown };
    const parts = [title, detail].filter((p): p is string => typeof p === 'string' && p.length > 0);
    if (parts.length > 0) return `: ${parts.join(': ').slice(0, 500)}`;
  }
  return '';
}

function describeNetworkError(error: Error & { code?: string }): string {
  if (error.name === 'AbortError') return 'aborted';
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
