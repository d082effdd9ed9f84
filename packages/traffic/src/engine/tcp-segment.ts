/**
 * Builds complete TCP segments (IP header, TCP header, checksums) for the engine to answer a
 * client on the server's behalf: the block page an inspector asked for with `respond`.
 */
import type { DecodedPacket } from './packet-decoder.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST } from './packet-decoder.js';

export interface SegmentFields {
  readonly sourceAddress: string;
  readonly destinationAddress: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

/** Payload bytes per segment built here: under any usual MTU, with room for IPv6 and options. */
export const MAX_BUILT_SEGMENT_PAYLOAD = 1200;

export function parseAddress(a: string): Uint8Array | undefined {
  if (!a.includes(':')) {
    const parts = a.split('.').map(Number);
    return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p < 256)
      ? Uint8Array.from(parts)
      : undefined;
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? (halves[0] as string).split(':') : [];
  const tail = halves.length === 2 && halves[1] ? (halves[1] as string).split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function sum16(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export function buildTcpSegment(f: SegmentFields): Uint8Array | undefined {
  const src = parseAddress(f.sourceAddress);
  const dst = parseAddress(f.destinationAddress);
  if (!src || !dst || src.length !== dst.length) return undefined;
  const tcp = new Uint8Array(20 + f.payload.length);
  const tv = new DataView(tcp.buffer);
  tv.setUint16(0, f.sourcePort);
  tv.setUint16(2, f.destinationPort);
  tv.setUint32(4, f.seq >>> 0);
  tv.setUint32(8, f.ack >>> 0);
  tcp[12] = 5 << 4;
  tcp[13] = f.flags;
  tv.setUint16(14, 65535);
  tcp.set(f.payload, 20);
  const pseudo = new Uint8Array(src.length * 2 + 4);
  pseudo.set(src, 0);
  pseudo.set(dst, src.length);
  new DataView(pseudo.buffer).setUint16(src.length * 2, tcp.length);
  pseudo[src.length * 2 + 3] = 6;
  tv.setUint16(16, fold(sum16(tcp, sum16(pseudo))));
  const v4 = src.length === 4;
  const ip = new Uint8Array(v4 ? 20 : 40);
  const iv = new DataView(ip.buffer);
  if (v4) {
    ip[0] = 0x45;
    iv.setUint16(2, 20 + tcp.length);
    iv.setUint16(6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    ip.set(src, 12);
    ip.set(dst, 16);
    iv.setUint16(10, fold(sum16(ip)));
  } else {
    ip[0] = 0x60;
    iv.setUint16(4, tcp.length);
    ip[6] = 6;
    ip[7] = 64;
    ip.set(src, 8);
    ip.set(dst, 24);
  }
  const out = new Uint8Array(ip.length + tcp.length);
  out.set(ip, 0);
  out.set(tcp, ip.length);
  return out;
}

/** An HTTP response as bytes, closing the connection. */
export function httpResponseBytes(r: {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}): Uint8Array {
  const body = new TextEncoder().encode(r.body);
  const headers = Object.entries(r.headers)
    .filter(([n]) => !/^(content-length|connection|transfer-encoding)$/i.test(n) && !/[\r\n:]/.test(n))
    .map(([n, v]) => `${n}: ${String(v).replace(/[\r\n]/g, ' ')}\r\n`)
    .join('');
  const reason = r.status === 403 ? 'Forbidden' : 'Blocked';
  const head = new TextEncoder().encode(
    `HTTP/1.1 ${r.status} ${reason}\r\n${headers}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/**
 * A reset to the receiver of `p`, as if its sender had sent it instead of `p`: same addresses
 * and ports, `p`'s sequence number (what the receiver expects next, so it takes the reset at once).
 */
export function resetInsteadOf(p: DecodedPacket): Uint8Array | undefined {
  if (!p.tcp) return undefined;
  return buildTcpSegment({
    sourceAddress: p.sourceAddress,
    destinationAddress: p.destinationAddress,
    sourcePort: p.sourcePort,
    destinationPort: p.destinationPort,
    seq: p.tcp.seq,
    ack: 0,
    flags: TCP_RST,
    payload: new Uint8Array(0),
  });
}

/**
 * The segments that answer the client of a to-server packet with `response`, as if the server
 * had sent it: from the server's address and port, starting at the sequence number the client
 * acknowledged, acknowledging the packet's data, FIN on the last.
 */
export function responseSegments(p: DecodedPacket, response: Uint8Array): Uint8Array[] | undefined {
  if (!p.tcp) return undefined;
  const out: Uint8Array[] = [];
  const ack = (p.tcp.seq + p.payload.length + p.missingBytes) >>> 0;
  for (let at = 0; at < response.length || out.length === 0; at += MAX_BUILT_SEGMENT_PAYLOAD) {
    const part = response.subarray(at, at + MAX_BUILT_SEGMENT_PAYLOAD);
    const last = at + MAX_BUILT_SEGMENT_PAYLOAD >= response.length;
    const segment = buildTcpSegment({
      sourceAddress: p.destinationAddress,
      destinationAddress: p.sourceAddress,
      sourcePort: p.destinationPort,
      destinationPort: p.sourcePort,
      seq: (p.tcp.ack + at) >>> 0,
      ack,
      flags: TCP_ACK | TCP_PSH | (last ? TCP_FIN : 0),
      payload: part,
    });
    if (!segment) return undefined;
    out.push(segment);
  }
  return out;
}
