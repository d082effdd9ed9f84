/**
 * Decodes what NFQUEUE hands over: bytes starting at the network header (IPv4 or IPv6), maybe
 * cut short by the queue's copy range. Only TCP and UDP are decoded; anything else is reported
 * as not decodable with a reason (the caller accepts it and counts it).
 */
import type { TransportProtocol } from './inspection-contract.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface DecodedPacket {
  readonly ipVersion: 4 | 6;
  readonly protocol: TransportProtocol;
  readonly sourceAddress: string;
  readonly destinationAddress: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Offset of the network header's end = start of the transport header. */
  readonly transportOffset: number;
  /** TCP only. */
  readonly tcp?: { readonly seq: number; readonly ack: number; readonly flags: number; readonly window: number };
  /** The transport payload present in the buffer. */
  readonly payload: Uint8Array;
  /** The packet was longer than the buffer: the payload misses `missingBytes` at its end. */
  readonly missingBytes: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly packet: DecodedPacket }
  | { readonly ok: false; readonly reason: string };

const fail = (reason: string): DecodeResult => ({ ok: false, reason });

export function decodePacket(bytes: Uint8Array): DecodeResult {
  if (bytes.length < 1) return fail('empty');
  const version = (bytes[0] ?? 0) >> 4;
  if (version === 4) return decodeIpv4(bytes);
  if (version === 6) return decodeIpv6(bytes);
  return fail(`ip version ${version}`);
}

function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function u32(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;
}

function decodeIpv4(b: Uint8Array): DecodeResult {
  if (b.length < 20) return fail('short ipv4 header');
  const ihl = ((b[0] ?? 0) & 0x0f) * 4;
  if (ihl < 20 || b.length < ihl) return fail('bad ipv4 header length');
  const total = u16(b, 2);
  if (total < ihl) return fail('bad ipv4 total length');
  const fragment = u16(b, 6);
  // A non-first fragment carries no transport header; the kernel reassembles before the filter
  // hooks when conntrack is loaded, so these are rare and passed uninspected (counted).
  if ((fragment & 0x1fff) !== 0 || (fragment & 0x2000) !== 0) return fail('ipv4 fragment');
  const src = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const dst = `${b[16]}.${b[17]}.${b[18]}.${b[19]}`;
  return decodeTransport(b, 4, b[9] ?? 0, ihl, Math.min(total, 65535), src, dst);
}

function decodeIpv6(b: Uint8Array): DecodeResult {
  if (b.length < 40) return fail('short ipv6 header');
  const payloadLength = u16(b, 4);
  let next = b[6] ?? 0;
  let at = 40;
  // Skip the extension headers that can precede TCP/UDP (hop-by-hop, routing, destination options).
  for (let hops = 0; hops < 8 && (next === 0 || next === 43 || next === 60); hops++) {
    if (b.length < at + 8) return fail('short ipv6 extension header');
    const length = ((b[at + 1] ?? 0) + 1) * 8;
    next = b[at] ?? 0;
    at += length;
  }
  if (next === 44) return fail('ipv6 fragment');
  return decodeTransport(
    b,
    6,
    next,
    at,
    40 + payloadLength,
    formatIpv6(b.subarray(8, 24)),
    formatIpv6(b.subarray(24, 40)),
  );
}

function decodeTransport(
  b: Uint8Array,
  ipVersion: 4 | 6,
  proto: number,
  at: number,
  declaredEnd: number,
  src: string,
  dst: string,
): DecodeResult {
  const end = Math.min(declaredEnd, b.length);
  const missingBytes = Math.max(0, declaredEnd - b.length);
  if (proto === 6) {
    if (end < at + 20) return fail('short tcp header');
    const dataOffset = ((b[at + 12] ?? 0) >> 4) * 4;
    if (dataOffset < 20 || end < at + dataOffset) return fail('bad tcp header length');
    return {
      ok: true,
      packet: {
        ipVersion,
        protocol: 'tcp',
        sourceAddress: src,
        destinationAddress: dst,
        sourcePort: u16(b, at),
        destinationPort: u16(b, at + 2),
        transportOffset: at,
        tcp: { seq: u32(b, at + 4), ack: u32(b, at + 8), flags: b[at + 13] ?? 0, window: u16(b, at + 14) },
        payload: b.subarray(at + dataOffset, end),
        missingBytes,
      },
    };
  }
  if (proto === 17) {
    if (end < at + 8) return fail('short udp header');
    return {
      ok: true,
      packet: {
        ipVersion,
        protocol: 'udp',
        sourceAddress: src,
        destinationAddress: dst,
        sourcePort: u16(b, at),
        destinationPort: u16(b, at + 2),
        transportOffset: at,
        payload: b.subarray(at + 8, end),
        missingBytes,
      },
    };
  }
  return fail(`ip protocol ${proto}`);
}

/** RFC 5952 text form: lower case, leading zeros dropped, the longest run of zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(u16(bytes, i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
