import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { certificateNames } from './certificate-names.js';
import { fragmentRecords, serverHello, TEST_CERTIFICATE_DER } from './test-packets.js';
import { parseServerHello } from './tls-server-hello.js';

test('certificate names: the subject CN and the subjectAltName DNS names only', () => {
  const r = certificateNames(TEST_CERTIFICATE_DER);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.deepEqual(r.names, {
    subjectCommonName: 'cn.example.test',
    dnsNames: ['www.example.test', '*.cdn.example.test'],
  });
});

test('TLS 1.2: the names of the first certificate, also when the flight is split over records and cut anywhere', () => {
  const flight = fragmentRecords(serverHello(0x0303), 50);
  // Cut anywhere: more is needed until the Certificate message is complete (in the last one or
  // two records: only ServerHelloDone follows it), done from there on.
  const states = Array.from({ length: flight.length - 1 }, (_, i) => parseServerHello(flight.subarray(0, i + 1)).state);
  const firstDone = states.indexOf('done');
  assert.ok(firstDone > flight.length - 2 * (50 + 5), `done at ${firstDone} of ${flight.length}`);
  assert.ok(states.slice(0, firstDone).every((x) => x === 'need-more'));
  assert.ok(states.slice(firstDone).every((x) => x === 'done'));
  const r = parseServerHello(flight);
  assert.ok(r.state === 'done');
  assert.equal(r.facts.version, '3.3');
  assert.equal(r.facts.certificate?.subjectCommonName, 'cn.example.test');
  assert.deepEqual(r.facts.certificate?.dnsNames, ['www.example.test', '*.cdn.example.test']);
});

test('TLS 1.3: the certificate is encrypted, said as soon as the ServerHello is read', () => {
  const r = parseServerHello(serverHello(0x0304, null));
  assert.deepEqual(r, { state: 'done', facts: { version: '3.4', missing: 'encrypted' } });
});

test('no Certificate message (resumption), a ChangeCipherSpec after the ServerHello, a broken certificate', () => {
  assert.deepEqual(parseServerHello(serverHello(0x0303, null)), {
    state: 'done',
    facts: { version: '3.3', missing: 'not-sent' },
  });
  const hello = serverHello(0x0302, null).subarray(0, -4);
  hello[4] = (hello[4] as number) - 4; // without the ServerHelloDone
  const resumed = Uint8Array.from([...hello, 20, 3, 3, 0, 1, 1]);
  assert.deepEqual(parseServerHello(resumed), { state: 'done', facts: { version: '3.2', missing: 'not-sent' } });
  const broken = parseServerHello(serverHello(0x0303, Uint8Array.from([0x30, 0x05, 0x02, 0x01])));
  assert.ok(
    broken.state === 'done' && broken.facts.missing === 'malformed' && /certificate/.test(broken.facts.reason ?? ''),
  );
});

test('not a server hello: a client hello, HTTP, an alert first', () => {
  assert.equal(parseServerHello(new TextEncoder().encode('HTTP/1.1 200 OK\r\n')).state, 'not-tls');
  assert.equal(parseServerHello(Uint8Array.from([21, 3, 3, 0, 2, 2, 40])).state, 'not-tls');
  const client = serverHello(0x0303);
  client[5] = 1;
  assert.equal(parseServerHello(client).state, 'not-tls');
});

test('property: garbage and damaged certificates and flights never throw', () => {
  const flight = serverHello(0x0303);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
      (garbage, damage) => {
        certificateNames(garbage);
        parseServerHello(garbage);
        const der = Uint8Array.from(TEST_CERTIFICATE_DER);
        const hello = Uint8Array.from(flight);
        for (const d of damage) {
          der[d.at % der.length] = d.value;
          hello[d.at % hello.length] = d.value;
        }
        const names = certificateNames(der);
        assert.ok(names.ok || /^certificate: /.test(names.reason));
        const r = parseServerHello(hello);
        assert.ok(['need-more', 'not-tls', 'done'].includes(r.state));
      },
    ),
    { numRuns: 3000 },
  );
});
