import https from 'node:https';

export type CallResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown; readonly ms: number }
  | { readonly ok: false; readonly kind: string; readonly ms: number };

/**
 * One JSON request; never throws. Anything but a 2xx answer is a failure whose `kind` names the
 * HTTP status or the socket error, so the report can count errors by kind.
 */
export function callJson(
  agent: https.Agent,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: unknown,
  timeoutMs: number,
): Promise<CallResult> {
  const started = performance.now();
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: CallResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request = https.request(
      url,
      {
        method,
        agent,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...headers,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('error', (error) =>
          done({
            ok: false,
            kind: (error as NodeJS.ErrnoException).code ?? 'response-error',
            ms: performance.now() - started,
          }),
        );
        response.on('end', () => {
          const ms = performance.now() - started;
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) return done({ ok: false, kind: `HTTP ${status}`, ms });
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            done({ ok: true, status, body: text === '' ? null : JSON.parse(text), ms });
          } catch {
            done({ ok: false, kind: 'not-json', ms });
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', (error) =>
      done({
        ok: false,
        kind: (error as NodeJS.ErrnoException).code ?? 'request-error',
        ms: performance.now() - started,
      }),
    );
    request.end(payload);
  });
}
