import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type HttpMessage, HttpStreamParser } from './http-stream-parser.js';
import { DEFAULT_TRAFFIC_LIMITS } from './limits.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder('latin1').decode(b));
const limits = { ...DEFAULT_TRAFFIC_LIMITS, httpBodyInspectionDepth: 16 };

function parse(
  direction: 'request' | 'response',
  chunks: readonly string[],
  exchange = { pendingMethods: [] as string[] },
) {
  const p = new HttpStreamParser(direction, limits, exchange);
  const out: HttpMessage[] = [];
  for (const c of chunks) out.push(...p.push(enc(c)));
  return { messages: out, parser: p };
}

test('a request: method, normalised and raw URI, host, user agent, headers without cookie', () => {
  const { messages } = parse('request', [
    'GET /a/../b?x=1 HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: curl/8\r\nCookie: s=1\r\n\r\n',
  ]);
  assert.equal(messages.length, 1);
  const m = messages[0] as Extract<HttpMessage, { kind: 'http-request' }>;
  assert.equal(m.stage, 'complete');
  assert.equal(m.http.method, 'GET');
  assert.equal(dec(m.buffers['http.uri']), '/b?x=1');
  assert.equal(dec(m.buffers['http.uri.raw']), '/a/../b?x=1');
  assert.equal(dec(m.buffers['http.host']), 'example.com');
  assert.equal(dec(m.buffers['http.user_agent']), 'curl/8');
  assert.equal(dec(m.buffers['http.cookie']), 's=1');
  assert.equal(dec(m.buffers['http.header']), 'host: Example.COM:8080\r\nuser-agent: curl/8\r\n');
  assert.deepEqual(m.http.parameters, [['x', '1']]);
});

test('pipelined requests split anywhere come out one by one', () => {
  const wire =
    'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /3 HTTP/1.1\r\nHost: a\r\n\r\n';
  for (let cut = 1; cut < wire.length; cut += 7) {
    const { messages } = parse('request', [wire.slice(0, cut), wire.slice(cut)]);
    const complete = messages.filter((m) => m.stage === 'complete');
    assert.deepEqual(
      complete.map((m) => (m.kind === 'http-request' ? m.http.rawTarget : '')),
      ['/1', '/2', '/3'],
    );
    assert.equal(dec(complete[1]?.buffers['http.request_body']), 'hello');
  }
});

test('a request with a body is seen at its headers, then complete', () => {
  const { messages } = parse('request', ['POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n', 'abc']);
  assert.deepEqual(
    messages.map((m) => m.stage),
    ['headers', 'complete'],
  );
  assert.equal(messages[0]?.buffers['http.request_body'], undefined);
});

test('chunked bodies are de-chunked; the body past the inspection depth is cut and flagged', () => {
  const { messages, parser } = parse('request', [
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n',
    '10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n',
  ]);
  const m = messages.find((x) => x.stage === 'complete') as Extract<HttpMessage, { kind: 'http-request' }>;
  assert.equal(m.http.chunked, true);
  assert.equal(dec(m.buffers['http.request_body']), 'hello0123456789a');
  assert.equal(m.http.bodyTruncated, true);
  assert.equal(parser.uninspectedBodyBytes, 5);
});

test('an invalid chunk size is an anomaly and stops the parser', () => {
  const { messages, parser } = parse('request', [
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  ]);
  const last = messages[messages.length - 1];
  assert.ok(last?.http.anomalies.includes('invalid-chunk-size'));
  assert.equal(parser.stopped, 'invalid-chunk-size');
});

test('folded header lines are unfolded and flagged', () => {
  const { messages } = parse('request', ['GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n']);
  const m = messages[0] as Extract<HttpMessage, { kind: 'http-request' }>;
  assert.deepEqual(m.http.headers[1], ['x-long', 'one two']);
  assert.ok(m.http.anomalies.includes('obsolete-line-folding'));
});

test('Content-Length with Transfer-Encoding (request smuggling) is flagged; chunked wins', () => {
  const { messages } = parse('request', [
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ]);
  const m = messages.find((x) => x.stage === 'complete');
  assert.ok(m?.http.anomalies.includes('content-length-and-transfer-encoding'));
});

test('bad method, bad version, missing host', () => {
  const { messages } = parse('request', ['G<T / HTTP/9\r\n\r\n']);
  const a = messages[0]?.http.anomalies ?? [];
  assert.ok(a.includes('bad-method'));
  assert.ok(a.includes('bad-version'));
  const { messages: m2 } = parse('request', ['GET / HTTP/1.1\r\n\r\n']);
  assert.ok(m2[0]?.http.anomalies.includes('missing-host'));
});

test('an oversize header block is reported with what was seen, then parsing stops', () => {
  const { messages, parser } = parse('request', ['GET / HTTP/1.1\r\nHost: a\r\nX: ', 'y'.repeat(20_000)]);
  assert.equal(messages.length, 1);
  assert.ok(messages[0]?.http.anomalies.includes('header-too-long'));
  assert.equal(parser.stopped, 'header-too-long');
});

test('responses: status, body by length, HEAD without body, until-close body at end()', () => {
  const exchange = { pendingMethods: ['HEAD', 'GET', 'GET'] };
  const p = new HttpStreamParser('response', limits, exchange);
  const out = [
    ...p.push(enc('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')),
    ...p.push(enc('HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nSet-Cookie: a=b\r\n\r\nno')),
    ...p.push(enc('HTTP/1.0 200 OK\r\n\r\nstreamed')),
    ...p.end(),
  ].filter((m) => m.stage === 'complete');
  assert.deepEqual(
    out.map((m) => (m.kind === 'http-response' ? m.http.status : 0)),
    [200, 404, 200],
  );
  assert.equal(dec(out[1]?.buffers['http.stat_code']), '404');
  assert.equal(dec(out[1]?.buffers['http.response_body']), 'no');
  assert.equal(dec(out[1]?.buffers['http.cookie']), 'a=b');
  assert.equal(dec(out[2]?.buffers['http.response_body']), 'streamed');
});

test('property: byte-by-byte feeding gives the same messages as one push', () => {
  const wire =
    'POST /x%20y HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /z HTTP/1.1\r\nHost: h\r\n\r\n';
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 40 }), (cuts) => {
      const whole = parse('request', [wire]).messages;
      const pieces: string[] = [];
      let at = 0;
      for (let i = 0; at < wire.length; i++) {
        const n = cuts[i % cuts.length] ?? 1;
        pieces.push(wire.slice(at, at + n));
        at += n;
      }
      assert.deepEqual(parse('request', pieces).messages, whole);
    }),
    { numRuns: 300 },
  );
});

test('property: garbage never throws and never hangs, in both directions', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          fc.constantFrom(
            ...[
              'GET / HTTP/1.1\r\n',
              '\r\n',
              'Transfer-Encoding: chunked\r\n',
              'Content-Length: 3\r\n',
              'HTTP/1.1 200 OK\r\n',
              'ffffffff\r\n',
              ' folded\r\n',
            ].map(enc),
          ),
        ),
        { maxLength: 30 },
      ),
      fc.boolean(),
      (chunks, request) => {
        const p = new HttpStreamParser(request ? 'request' : 'response', limits, { pendingMethods: [] });
        for (const c of chunks) p.push(c);
        p.end();
      },
    ),
    { numRuns: 1000 },
  );
});
