/**
 * Turns one decoded packet of a flow into inspection units: the packet itself (UDP datagram or
 * TCP segment), the stream bytes it made contiguous, and what the application parser completed
 * (HTTP messages, the TLS ClientHello, a DNS query).
 */

import { parseDnsQuery } from './dns-query.js';
import type { TrafficEngineStats } from './engine-stats.js';
import type { DirectionState, Flow } from './flow.js';
import type { HttpMessage } from './http-stream-parser.js';
import type { FlowDirection, InspectionBuffers, InspectionUnit } from './inspection-contract.js';
import type { TrafficLimits } from './limits.js';
import { type DecodedPacket, TCP_FIN } from './packet-decoder.js';
import type { ReassembledPiece } from './stream-reassembler.js';
import { parseClientHello } from './tls-client-hello.js';
import { parseServerHello } from './tls-server-hello.js';

const HTTP_START = /^[A-Z]{3,16} /;

export function unitsForPacket(
  flow: Flow,
  p: DecodedPacket,
  direction: FlowDirection,
  timeMs: number,
  stats: TrafficEngineStats,
  limits: TrafficLimits,
): InspectionUnit[] {
  const units: InspectionUnit[] = [];
  const base = (buffers: InspectionBuffers) => ({
    flowId: flow.id,
    flow: flow.endpoints,
    direction,
    established: flow.established,
    buffers,
    timeMs,
  });

  if (p.protocol === 'udp') {
    if (direction === 'to_client') flow.established = true;
    if (p.payload.length > 0) units.push({ ...base({ packet: p.payload }), kind: 'packet' });
    const dns = flow.application === 'dns' || (flow.application === undefined && flow.endpoints.serverPort === 53);
    if (dns && direction === 'to_server') {
      const parsed = parseDnsQuery(p.payload);
      if (parsed.ok) {
        stats.dnsQueries++;
        units.push({ ...base({ 'dns.query': parsed.nameBytes }), kind: 'dns-query', dns: parsed.query });
      }
    }
    return units;
  }

  const tcp = p.tcp;
  if (!tcp) return units;
  const side = flow.side(direction);
  const pieces: ReassembledPiece[] = [];
  if (p.payload.length > 0) {
    const offset = side.reassembler.offsetOf(tcp.seq);
    pieces.push(...side.reassembler.push(tcp.seq, p.payload));
    // Bytes the copy range cut off will never come: skip them now rather than wait for a bound.
    if (p.missingBytes > 0 && side.reassembler.nextOffset === offset + p.payload.length)
      side.reassembler.skip(p.missingBytes);
  }
  if ((tcp.flags & TCP_FIN) !== 0 && side.finOffset === undefined) {
    side.finOffset = side.reassembler.started
      ? side.reassembler.offsetOf(tcp.seq) + p.payload.length + p.missingBytes
      : 0;
  }
  const streamed = flow.toServer.reassembler.nextOffset + flow.toClient.reassembler.nextOffset;
  if (p.payload.length > 0 && streamed - p.payload.length >= limits.streamInspectionDepth) {
    // Past the stream inspection depth: payload rules no longer see this flow.
    stats.streamUninspectedBytes += p.payload.length;
  } else if (p.payload.length > 0) {
    const stream = join(pieces);
    units.push(
      stream.length > 0
        ? { ...base({ packet: p.payload, stream }), kind: 'stream' }
        : { ...base({ packet: p.payload }), kind: 'packet' },
    );
  }

  for (const piece of pieces) {
    if (flow.application === undefined && direction === 'to_server') flow.application = guess(piece.bytes);
    if (flow.application === 'http' && !flow.toServer.http) flow.startHttp();
    if (flow.application === 'http') httpUnits(side, piece, stats, (m) => units.push(httpUnit(m, base)));
    else if (flow.application === 'tls' && direction === 'to_server' && !side.tlsFinished) {
      const hello = tlsStart(side, piece, limits.maxTlsHelloBytes, parseClientHello);
      if (hello) {
        stats.tlsClientHellos++;
        const buffers: InspectionBuffers = hello.sniBytes ? { 'tls.sni': hello.sniBytes } : {};
        units.push({ ...base(buffers), kind: 'tls-client-hello', tls: hello.hello });
      }
    } else if (flow.application === 'tls' && !side.tlsFinished) {
      const hello = tlsStart(side, piece, limits.maxTlsServerHelloBytes, parseServerHello);
      if (hello) {
        stats.tlsServerHellos++;
        units.push({ ...base({}), kind: 'tls-server-hello', tls: hello.facts });
      }
    }
  }
  const ended = side.finOffset !== undefined && side.reassembler.nextOffset >= side.finOffset;
  if (ended && !side.ended) {
    side.ended = true;
    if (side.http) {
      const stopped = side.http.stopped;
      for (const m of side.http.end()) {
        countHttp(m, stats);
        units.push(httpUnit(m, base));
      }
      if (!stopped) countStop(stats, side.http.stopped);
    }
  }
  return units;
}

function guess(first: Uint8Array): Flow['application'] {
  if (first[0] === 0x16 && first[1] === 0x03) return 'tls';
  const start = String.fromCharCode(...first.subarray(0, 17));
  return HTTP_START.test(start) ? 'http' : 'none';
}

function httpUnits(
  side: DirectionState,
  piece: ReassembledPiece,
  stats: TrafficEngineStats,
  emit: (m: HttpMessage) => void,
): void {
  const parser = side.http;
  if (!parser || parser.stopped) return;
  const uninspected = parser.uninspectedBodyBytes;
  const messages =
    piece.gapBefore > 0 ? [...parser.gap(), ...parser.push(new Uint8Array(0))] : parser.push(piece.bytes);
  stats.httpUninspectedBodyBytes += parser.uninspectedBodyBytes - uninspected;
  for (const m of messages) {
    countHttp(m, stats);
    emit(m);
  }
  countStop(stats, parser.stopped);
}

function countHttp(m: HttpMessage, stats: TrafficEngineStats): void {
  if (m.stage !== 'complete') return;
  if (m.kind === 'http-request') stats.httpRequests++;
  else stats.httpResponses++;
}

function countStop(stats: TrafficEngineStats, reason: string | undefined): void {
  if (reason === undefined) return;
  stats.httpParserStops[reason] = (stats.httpParserStops[reason] ?? 0) + 1;
}

type UnitBase = Omit<Extract<InspectionUnit, { kind: 'packet' }>, 'kind'>;

function httpUnit(m: HttpMessage, base: (b: InspectionBuffers) => UnitBase): InspectionUnit {
  return m.kind === 'http-request'
    ? { ...base(m.buffers), kind: 'http-request', http: m.http }
    : { ...base(m.buffers), kind: 'http-response', http: m.http };
}

/** Feeds the start of a TLS stream (either side) to its parser until it is done or not TLS. */
function tlsStart<R extends { readonly state: string }>(
  side: DirectionState,
  piece: ReassembledPiece,
  maxBytes: number,
  parse: (stream: Uint8Array) => R,
): Extract<R, { state: 'done' }> | undefined {
  if (piece.gapBefore > 0 || piece.offset + piece.bytes.length > maxBytes) {
    side.tlsFinished = true;
    side.tlsStart = undefined;
    return undefined;
  }
  const start = side.tlsStart ?? new Uint8Array(0);
  const joined = new Uint8Array(start.length + piece.bytes.length);
  joined.set(start, 0);
  joined.set(piece.bytes, start.length);
  const result = parse(joined);
  if (result.state === 'need-more') {
    side.tlsStart = joined;
    return undefined;
  }
  side.tlsFinished = true;
  side.tlsStart = undefined;
  return result.state === 'done' ? (result as Extract<R, { state: 'done' }>) : undefined;
}

function join(pieces: readonly ReassembledPiece[]): Uint8Array {
  if (pieces.length === 1) return (pieces[0] as ReassembledPiece).bytes;
  const total = pieces.reduce((n, p) => n + p.bytes.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p.bytes, at);
    at += p.bytes.length;
  }
  return out;
}
