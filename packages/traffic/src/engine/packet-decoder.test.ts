import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodePacket, formatIpv6, TCP_SYN } from './packet-decoder.js';
import { tcpPacket, udpPacket } from './test-packets.js';

test('decodes IPv4 TCP: addresses, ports, sequence numbers, flags, payload', () => {
  const r = decodePacket(
    tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      sport: 40000,
      dport: 80,
      seq: 0xfffffff0,
      flags: TCP_SYN,
      payload: 'hi',
    }),
  );
  assert.ok(r.ok);
  assert.equal(r.packet.sourceAddress, '192.0.2.1');
  assert.equal(r.packet.destinationAddress, '198.51.100.7');
  assert.equal(r.packet.destinationPort, 80);
  assert.equal(r.packet.tcp?.seq, 0xfffffff0);
  assert.equal(r.packet.tcp?.flags, TCP_SYN);
  assert.equal(new TextDecoder().decode(r.packet.payload), 'hi');
  assert.equal(r.packet.missingBytes, 0);
});

test('decodes IPv6 UDP with the address in RFC 5952 form', () => {
  const r = decodePacket(
    udpPacket({ src: '2001:db8::1', dst: 'fd00:0:0:1::53', sport: 5353, dport: 53, payload: 'x' }),
  );
  assert.ok(r.ok);
  assert.equal(r.packet.protocol, 'udp');
  assert.equal(r.packet.sourceAddress, '2001:db8::1');
  assert.equal(r.packet.destinationAddress, 'fd00:0:0:1::53');
});

test('a packet cut by the copy range says how many payload bytes are missing', () => {
  const full = tcpPacket({ sport: 1, dport: 80, payload: 'x'.repeat(100) });
  const r = decodePacket(full.subarray(0, 60));
  assert.ok(r.ok);
  assert.equal(r.packet.payload.length, 20);
  assert.equal(r.packet.missingBytes, 80);
});

test('non-TCP/UDP, fragments and short headers are refused with a reason', () => {
  const icmp = tcpPacket({ sport: 1, dport: 2 });
  icmp[9] = 1;
  assert.deepEqual(decodePacket(icmp), { ok: false, reason: 'ip protocol 1' });
  const fragment = tcpPacket({ sport: 1, dport: 2 });
  fragment[6] = 0x20;
  assert.deepEqual(decodePacket(fragment), { ok: false, reason: 'ipv4 fragment' });
  assert.equal(decodePacket(new Uint8Array([0x45, 0])).ok, false);
  assert.equal(decodePacket(new Uint8Array(0)).ok, false);
});

test('formatIpv6 compresses the longest run of zero groups only', () => {
  const b = new Uint8Array(16);
  b[15] = 1;
  assert.equal(formatIpv6(b), '::1');
  const c = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(formatIpv6(c), '2001:db8:0:1::1');
});

test('property: garbage never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decodePacket(bytes);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 40, maxLength: 120 }), fc.constantFrom(0x45, 0x60, 0x4f), (bytes, first) => {
      bytes[0] = first;
      decodePacket(bytes);
    }),
    { numRuns: 2000 },
  );
});
