import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePacket, TCP_FIN } from './packet-decoder.js';
import { buildTcpSegment, httpResponseBytes, parseAddress, responseSegments } from './tcp-segment.js';
import { tcpPacket } from './test-packets.js';

function checksumOk(packet: Uint8Array): boolean {
  const v4 = (packet[0] ?? 0) >> 4 === 4;
  const ipLength = v4 ? 20 : 40;
  const tcp = packet.subarray(ipLength);
  const src = packet.subarray(v4 ? 12 : 8, v4 ? 16 : 24);
  const dst = packet.subarray(v4 ? 16 : 24, v4 ? 20 : 40);
  const pseudo = new Uint8Array(src.length * 2 + 4 + tcp.length);
  pseudo.set(src, 0);
  pseudo.set(dst, src.length);
  new DataView(pseudo.buffer).setUint16(src.length * 2, tcp.length);
  pseudo[src.length * 2 + 3] = 6;
  pseudo.set(tcp, src.length * 2 + 4);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += ((pseudo[i] ?? 0) << 8) | (pseudo[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

test('addresses parse (IPv4, IPv6 with ::) and nonsense does not', () => {
  assert.deepEqual([...(parseAddress('10.1.2.3') ?? [])], [10, 1, 2, 3]);
  assert.equal(parseAddress('2001:db8::1')?.[15], 1);
  assert.equal(parseAddress('300.1.1.1'), undefined);
  assert.equal(parseAddress('1::2::3'), undefined);
});

test('built segments decode back and carry valid TCP checksums (IPv4 and IPv6)', () => {
  for (const [s, d] of [
    ['10.0.0.2', '10.0.0.1'],
    ['2001:db8::2', '2001:db8::1'],
  ] as const) {
    const seg = buildTcpSegment({
      sourceAddress: s,
      destinationAddress: d,
      sourcePort: 80,
      destinationPort: 4000,
      seq: 7,
      ack: 9,
      flags: 0x18,
      payload: new TextEncoder().encode('hello'),
    });
    assert.ok(seg);
    const r = decodePacket(seg);
    assert.ok(r.ok);
    assert.equal(r.packet.sourceAddress, s);
    assert.equal(new TextDecoder().decode(r.packet.payload), 'hello');
    assert.ok(checksumOk(seg));
  }
});

test('the response to a client packet starts where the client expects and ends with FIN', () => {
  const attack = decodePacket(
    tcpPacket({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      sport: 40000,
      dport: 80,
      seq: 1000,
      ack: 5000,
      payload: 'GET /evil HTTP/1.1\r\n\r\n',
    }),
  );
  assert.ok(attack.ok);
  const body = 'x'.repeat(3000);
  const segments = responseSegments(
    attack.packet,
    httpResponseBytes({ status: 403, headers: { 'Content-Type': 'text/html' }, body }),
  );
  assert.ok(segments && segments.length === 3);
  const decoded = segments.map((s) => {
    const r = decodePacket(s);
    assert.ok(r.ok);
    return r.packet;
  });
  assert.equal(decoded[0]?.tcp?.seq, 5000);
  assert.equal(decoded[0]?.tcp?.ack, 1000 + 22);
  assert.equal(decoded[0]?.destinationPort, 40000);
  assert.equal((decoded[2]?.tcp?.flags ?? 0) & TCP_FIN, TCP_FIN);
  const text = Buffer.concat(decoded.map((p) => p.payload)).toString();
  assert.match(
    text,
    /^HTTP\/1\.1 403 Forbidden\r\nContent-Type: text\/html\r\nContent-Length: 3000\r\nConnection: close\r\n\r\nx{3000}$/,
  );
});
