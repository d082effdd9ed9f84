import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { InspectionUnit, TrafficInspector } from './inspection-contract.js';
import { TCP_ACK, TCP_FIN, TCP_SYN } from './packet-decoder.js';
import { clientHello, dnsQuery, tcpPacket, udpPacket } from './test-packets.js';
import { TrafficEngine } from './traffic-engine.js';

const C = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80 };
const S = { src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000 };
const has = (b: Uint8Array | undefined, s: string) => b !== undefined && Buffer.from(b).includes(s);

/** Blocks when a unit's stream or URI holds the marker; wants more until `done` is set. */
function markerInspector(
  opts: { marker?: string; wantsAfterRequest?: boolean } = {},
): TrafficInspector<string, { requests: number }> {
  const marker = opts.marker ?? 'ATTACK';
  return {
    id: 'marker',
    ports: [
      { protocol: 'tcp', ports: [80] },
      { protocol: 'udp', ports: [53] },
      { protocol: 'tcp', ports: [443] },
    ],
    newFlowState: () => ({ requests: 0 }),
    inspect(unit: InspectionUnit, state) {
      if (unit.kind === 'http-request' && unit.http.stage === 'complete') state.requests++;
      const hit =
        has(unit.buffers['http.uri'], marker) ||
        has(unit.buffers['dns.query'], marker.toLowerCase()) ||
        has(unit.buffers['tls.sni'], marker.toLowerCase());
      return hit
        ? { decision: { action: 'block' }, findings: [`${unit.kind}:${marker}`] }
        : { decision: { action: 'pass' }, findings: [] };
    },
    wantsMore: (state) => (opts.wantsAfterRequest ?? true) || state.requests === 0,
  };
}

function handshake(engine: TrafficEngine<string>, t = 0) {
  assert.equal(engine.push(tcpPacket({ ...C, seq: 100, flags: TCP_SYN }), t).verdict, 'accept');
  engine.push(tcpPacket({ ...S, seq: 5000, ack: 101, flags: TCP_SYN | TCP_ACK }), t);
  return engine.push(tcpPacket({ ...C, seq: 101, ack: 5001, flags: TCP_ACK }), t);
}

test('an attack split over out-of-order segments is found when the stream completes: reset, then the flow stays dropped', () => {
  const engine = new TrafficEngine<string>({ inspectors: [markerInspector()] });
  handshake(engine);
  const request = 'GET /x?q=ATTACK HTTP/1.1\r\nHost: a\r\n\r\n';
  const second = engine.push(tcpPacket({ ...C, seq: 101 + 10, payload: request.slice(10) }), 1);
  assert.equal(second.verdict, 'accept');
  assert.equal(second.units[0]?.kind, 'packet');
  const first = engine.push(tcpPacket({ ...C, seq: 101, payload: request.slice(0, 10) }), 2);
  assert.equal(first.verdict, 'reset');
  assert.equal(first.enforced, true);
  assert.deepEqual(first.findings, [{ inspectorId: 'marker', findings: ['http-request:ATTACK'], blocked: true }]);
  const unit = first.units.find((u) => u.kind === 'http-request');
  assert.equal(unit?.direction, 'to_server');
  assert.equal(unit?.established, true);
  assert.deepEqual(unit?.flow, {
    protocol: 'tcp',
    clientAddress: '10.0.0.1',
    clientPort: 40000,
    serverAddress: '10.0.0.2',
    serverPort: 80,
  });
  assert.equal(engine.push(tcpPacket({ ...S, seq: 5001, payload: 'HTTP/1.1 200 OK\r\n\r\n' }), 3).verdict, 'drop');
  assert.equal(engine.stats().flowsBlocked, 1);
});

test('tap mode: the same attack passes with the finding marked as not enforced', () => {
  const engine = new TrafficEngine<string>({ inspectors: [markerInspector()], mode: 'tap' });
  handshake(engine);
  const r = engine.push(tcpPacket({ ...C, seq: 101, payload: 'GET /ATTACK HTTP/1.1\r\nHost: a\r\n\r\n' }), 1);
  assert.equal(r.verdict, 'accept');
  assert.equal(r.enforced, false);
  assert.equal(r.findings.length, 1);
  assert.equal(engine.stats().detectOnlyBlocks, 1);
});

test('benign traffic passes; a flow no inspector wants more of is handed back once', () => {
  const engine = new TrafficEngine<string>({ inspectors: [markerInspector({ wantsAfterRequest: false })] });
  assert.equal(handshake(engine).handBack, undefined);
  const r = engine.push(tcpPacket({ ...C, seq: 101, payload: 'GET /fine HTTP/1.1\r\nHost: a\r\n\r\n' }), 1);
  assert.equal(r.verdict, 'accept');
  assert.equal(r.handBack, true);
  const later = engine.push(
    tcpPacket({ ...S, seq: 5001, payload: 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx' }),
    2,
  );
  assert.equal(later.verdict, 'accept');
  assert.equal(later.handBack, undefined);
  assert.equal(later.units.length, 0);
  assert.equal(engine.stats().flowsHandedBack, 1);
});

test('the reply direction alone is handed back when no inspector wants the server packets; the client FIN then closes the flow', () => {
  const clientOnly: TrafficInspector<string, { requests: number }> = {
    ...markerInspector(),
    wantsMore: (_state, direction) => direction === 'to_server',
  };
  const engine = new TrafficEngine<string>({ inspectors: [clientOnly] });
  engine.push(tcpPacket({ ...C, seq: 100, flags: TCP_SYN }), 0);
  // Not before the handshake is complete: the SYN-ACK must still reach the engine.
  assert.equal(engine.push(tcpPacket({ ...C, seq: 100, flags: TCP_SYN }), 0).handBackReplies, undefined);
  engine.push(tcpPacket({ ...S, seq: 5000, ack: 101, flags: TCP_SYN | TCP_ACK }), 0);
  const request = engine.push(tcpPacket({ ...C, seq: 101, payload: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' }), 1);
  assert.equal(request.handBackReplies, true);
  assert.equal(request.handBack, undefined);
  assert.equal(request.units.find((u) => u.kind === 'http-request')?.established, true);
  const next = engine.push(tcpPacket({ ...C, seq: 128, payload: 'GET /ATTACK HTTP/1.1\r\nHost: a\r\n\r\n' }), 2);
  assert.equal(next.handBackReplies, undefined, 'once per flow');
  assert.equal(next.verdict, 'reset', 'the client side is still inspected');
  assert.equal(engine.stats().flowsRepliesHandedBack, 1);

  const other = new TrafficEngine<string>({
    inspectors: [clientOnly],
    limits: { tcpClosedTimeoutMs: 10, tcpIdleTimeoutMs: 1e9 },
  });
  other.push(tcpPacket({ ...C, seq: 100, flags: TCP_SYN }), 0);
  other.push(tcpPacket({ ...S, seq: 5000, ack: 101, flags: TCP_SYN | TCP_ACK }), 0);
  other.push(tcpPacket({ ...C, seq: 101, payload: 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' }), 1);
  other.push(tcpPacket({ ...C, seq: 128, flags: TCP_FIN | TCP_ACK }), 2);
  assert.equal(other.expire(100), 1, 'closed by the client FIN alone');
});

test('traffic to ports no inspector covers is handed back at its first packet', () => {
  const engine = new TrafficEngine<string>({ inspectors: [markerInspector()] });
  const r = engine.push(tcpPacket({ ...C, dport: 8443, seq: 1, flags: TCP_SYN }), 0);
  assert.equal(r.handBack, true);
});

test('TLS SNI and DNS queries reach the inspector', () => {
  const engine = new TrafficEngine<string>({ inspectors: [markerInspector()] });
  const tls = { ...C, dport: 443 };
  engine.push(tcpPacket({ ...tls, seq: 1, flags: TCP_SYN }), 0);
  const hello = clientHello('attack.example');
  engine.push(tcpPacket({ ...tls, seq: 2, payload: hello.subarray(0, 20) }), 1);
  const r = engine.push(tcpPacket({ ...tls, seq: 22, payload: hello.subarray(20) }), 2);
  assert.equal(r.verdict, 'reset');
  assert.equal(r.units.find((u) => u.kind === 'tls-client-hello')?.kind, 'tls-client-hello');
  const dns = engine.push(
    udpPacket({ src: '10.0.0.1', dst: '10.0.0.53', sport: 5555, dport: 53, payload: dnsQuery('attack.example') }),
    3,
  );
  assert.equal(dns.verdict, 'drop');
  assert.equal(engine.stats().dnsQueries, 1);
});

test('flows are bounded: the least recently active is evicted and counted', () => {
  const engine = new TrafficEngine<string>({ inspectors: [markerInspector()], limits: { maxFlows: 3 } });
  for (let port = 1; port <= 5; port++) engine.push(tcpPacket({ ...C, sport: port, seq: 1, flags: TCP_SYN }), port);
  const s = engine.stats();
  assert.equal(s.flowsActive, 3);
  assert.equal(s.flowsEvictedForCount, 2);
});

test('buffered bytes are bounded in total: the oldest flow goes', () => {
  const engine = new TrafficEngine<string>({ inspectors: [markerInspector()], limits: { maxBufferedBytes: 1500 } });
  for (let port = 1; port <= 3; port++) {
    engine.push(tcpPacket({ ...C, sport: port, seq: 0, flags: TCP_SYN }), port);
    engine.push(tcpPacket({ ...C, sport: port, seq: 500, payload: 'x'.repeat(700) }), port);
  }
  const s = engine.stats();
  assert.ok(s.bufferedBytes <= 1500, `buffered ${s.bufferedBytes}`);
  assert.ok(s.flowsEvictedForMemory >= 1);
});

test('idle flows expire by the caller’s time; closed ones sooner', () => {
  const engine = new TrafficEngine<string>({
    inspectors: [markerInspector()],
    limits: { tcpIdleTimeoutMs: 1000, tcpClosedTimeoutMs: 10 },
  });
  handshake(engine, 0);
  engine.push(tcpPacket({ ...C, sport: 2, seq: 1, flags: TCP_SYN }), 0);
  engine.push(tcpPacket({ ...C, seq: 101, flags: TCP_FIN | TCP_ACK }), 5);
  engine.push(tcpPacket({ ...S, seq: 5001, flags: TCP_FIN | TCP_ACK }), 5);
  assert.equal(engine.expire(100), 1);
  assert.equal(engine.expire(2000), 1);
  assert.equal(engine.stats().flowsActive, 0);
});

test('an inspector that throws is counted and treated as pass', () => {
  const engine = new TrafficEngine<string>({
    inspectors: [
      {
        ...markerInspector(),
        inspect: () => {
          throw new Error('bug');
        },
      },
    ],
  });
  handshake(engine);
  assert.equal(engine.push(tcpPacket({ ...C, seq: 101, payload: 'GET / HTTP/1.1\r\n\r\n' }), 1).verdict, 'accept');
  assert.ok(engine.stats().inspectorErrors > 0);
});

test('property: garbage packets never throw, and every verdict is one of three', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 120 }),
          fc
            .record({
              seq: fc.integer({ min: 0, max: 0xffffffff }),
              flags: fc.integer({ min: 0, max: 255 }),
              payload: fc.uint8Array({ maxLength: 60 }),
              back: fc.boolean(),
            })
            .map((r) => tcpPacket({ ...(r.back ? S : C), seq: r.seq, flags: r.flags, payload: r.payload })),
        ),
        { maxLength: 40 },
      ),
      (packets) => {
        const engine = new TrafficEngine<string>({
          inspectors: [markerInspector()],
          limits: { maxBufferedBytes: 4096 },
        });
        packets.forEach((p, t) => {
          assert.ok(['accept', 'drop', 'reset'].includes(engine.push(p, t).verdict));
        });
      },
    ),
    { numRuns: 500 },
  );
});
