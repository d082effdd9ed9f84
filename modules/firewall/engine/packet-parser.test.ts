import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parsePacket, TCP } from './packet-parser.js';

function ipv4Tcp(flags: number): Uint8Array {
  const b = new Uint8Array(40);
  b.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1]);
  b.set([0x9c, 0x40, 0x00, 0x50], 20);
  b[33] = flags;
  return b;
}

test('an IPv4 TCP SYN parses with addresses, ports, flags and length', () => {
  assert.deepEqual(parsePacket(0x0800, ipv4Tcp(TCP.SYN)), {
    family: 'ipv4',
    protocol: 'tcp',
    source: '10.0.0.2',
    destination: '10.0.0.1',
    length: 40,
    sourcePort: 40000,
    destinationPort: 80,
    tcpFlags: TCP.SYN,
  });
});

test('IPv6 UDP and ARP requests parse', () => {
  const v6 = new Uint8Array(48);
  v6[0] = 0x60;
  v6[5] = 8;
  v6[6] = 17;
  v6.set([0x20, 0x01, 0x0d, 0xb8], 8);
  v6[23] = 1;
  v6.set([0x20, 0x01, 0x0d, 0xb8], 24);
  v6[39] = 2;
  v6.set([0, 53, 0x30, 0x39], 40);
  assert.deepEqual(parsePacket(0x86dd, v6), {
    family: 'ipv6',
    protocol: 'udp',
    source: '2001:db8::1',
    destination: '2001:db8::2',
    length: 48,
    sourcePort: 53,
    destinationPort: 12345,
  });
  const arp = new Uint8Array(28);
  arp.set([0, 1, 8, 0, 6, 4, 0, 1]);
  arp.set([10, 77, 1, 2], 14);
  arp.set([10, 77, 1, 9], 24);
  assert.deepEqual(parsePacket(0x0806, arp), {
    family: 'arp',
    protocol: 'arp',
    arpOperation: 1,
    source: '10.77.1.2',
    destination: '10.77.1.9',
    length: 28,
  });
});

test('short or malformed packets give undefined, never an exception', () => {
  assert.equal(parsePacket(0x0800, new Uint8Array(10)), undefined);
  assert.equal(parsePacket(0x0806, new Uint8Array(27)), undefined);
  fc.assert(
    fc.property(fc.constantFrom(0, 0x0800, 0x86dd, 0x0806, 0x1234), fc.uint8Array({ maxLength: 80 }), (type, bytes) => {
      parsePacket(type, bytes);
    }),
  );
});
