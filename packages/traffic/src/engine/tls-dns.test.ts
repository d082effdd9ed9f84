import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseDnsQuery } from './dns-query.js';
import { clientHello, dnsQuery, fragmentRecords } from './test-packets.js';
import { parseClientHello } from './tls-client-hello.js';

test('ClientHello: SNI and the highest supported version (GREASE skipped)', () => {
  const r = parseClientHello(clientHello('www.example.org'));
  assert.equal(r.state, 'done');
  if (r.state !== 'done') return;
  assert.equal(r.hello.sni, 'www.example.org');
  assert.equal(r.hello.version, '3.4');
  assert.equal(r.hello.legacyVersion, '3.3');
});

test('ClientHello without supported_versions reports the legacy version', () => {
  const r = parseClientHello(clientHello('a.test', false));
  assert.ok(r.state === 'done' && r.hello.version === '3.3');
});

test('a ClientHello split over records, and the records cut at any byte, needs more until complete', () => {
  const split = fragmentRecords(clientHello('split.example.net'), 7);
  for (let cut = 1; cut < split.length; cut++)
    assert.equal(parseClientHello(split.subarray(0, cut)).state, 'need-more');
  const r = parseClientHello(split);
  assert.ok(r.state === 'done' && r.hello.sni === 'split.example.net');
});

test('not TLS is said at once', () => {
  assert.equal(parseClientHello(new TextEncoder().encode('GET / HTTP/1.1')).state, 'not-tls');
});

test('DNS query: first question name and type; responses are not queries', () => {
  const r = parseDnsQuery(dnsQuery('evil.example.com', 28));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual(r.query, { name: 'evil.example.com', type: 28 });
  const response = dnsQuery('a.b');
  response[2] = 0x81;
  assert.equal(parseDnsQuery(response).ok, false);
});

test('property: garbage never throws (TLS, DNS)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (b, tlsish) => {
      if (tlsish && b.length > 2) {
        b[0] = 22;
        b[1] = 3;
      }
      parseClientHello(b);
      parseDnsQuery(b);
    }),
    { numRuns: 3000 },
  );
});
