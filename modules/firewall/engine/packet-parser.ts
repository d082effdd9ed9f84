import type { Family } from './address.js';

/** What the engine needs to know of a logged packet; parsed from its first bytes. */
export interface PacketMeta {
  readonly family: Family | 'arp';
  /** IP protocol name (tcp, udp, icmp, icmpv6) or number as text; `arp` for ARP. */
  readonly protocol: string;
  readonly source: string;
  readonly destination: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  /** TCP flag byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20). */
  readonly tcpFlags?: number;
  readonly icmpType?: number;
  /** ARP operation (1 request, 2 reply). */
  readonly arpOperation?: number;
  /** Size of the whole packet as its header states it. */
  readonly length: number;
}

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

const ipv4Text = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

function ipv6Text(b: Uint8Array, o: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[o + 2 * i] ?? 0) << 8) | (b[o + 2 * i + 1] ?? 0));
  // Compress the longest run of zero groups, as addresses are usually written.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

function transport(
  b: Uint8Array,
  offset: number,
  protocol: number,
): Pick<PacketMeta, 'sourcePort' | 'destinationPort' | 'tcpFlags' | 'icmpType'> {
  const u16 = (o: number) => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
  if ((protocol === 6 || protocol === 17) && b.length >= offset + 4) {
    const ports = { sourcePort: u16(offset), destinationPort: u16(offset + 2) };
    if (protocol === 6 && b.length >= offset + 14) return { ...ports, tcpFlags: (b[offset + 13] ?? 0) & 0x3f };
    return ports;
  }
  if ((protocol === 1 || protocol === 58) && b.length > offset) return { icmpType: b[offset] ?? 0 };
  return {};
}

/**
 * Parses a packet from its network header (IPv4, IPv6 or ARP by EtherType). Returns undefined for
 * anything too short or malformed. Never throws: the bytes come off the wire.
 */
export function parsePacket(etherType: number, b: Uint8Array): PacketMeta | undefined {
  if (etherType === 0x0806) {
    // Ethernet/IPv4 ARP only: hardware type 1, protocol 0x0800, lengths 6 and 4.
    if (b.length < 28 || b[4] !== 6 || b[5] !== 4 || b[2] !== 0x08 || b[3] !== 0x00) return undefined;
    return {
      family: 'arp',
      protocol: 'arp',
      arpOperation: ((b[6] ?? 0) << 8) | (b[7] ?? 0),
      source: ipv4Text(b, 14),
      destination: ipv4Text(b, 24),
      length: 28,
    };
  }
  const version = (b[0] ?? 0) >> 4;
  if ((etherType === 0x0800 || etherType === 0) && version === 4 && b.length >= 20) {
    const ihl = ((b[0] ?? 0) & 0x0f) * 4;
    if (ihl < 20) return undefined;
    const protocol = b[9] ?? 0;
    const fragmentOffset = (((b[6] ?? 0) & 0x1f) << 8) | (b[7] ?? 0);
    return {
      family: 'ipv4',
      protocol: PROTOCOL_NAMES[protocol] ?? String(protocol),
      source: ipv4Text(b, 12),
      destination: ipv4Text(b, 16),
      length: ((b[2] ?? 0) << 8) | (b[3] ?? 0),
      ...(fragmentOffset === 0 ? transport(b, ihl, protocol) : {}),
    };
  }
  if ((etherType === 0x86dd || etherType === 0) && version === 6 && b.length >= 40) {
    const protocol = b[6] ?? 0;
    return {
      family: 'ipv6',
      protocol: PROTOCOL_NAMES[protocol] ?? String(protocol),
      source: ipv6Text(b, 8),
      destination: ipv6Text(b, 24),
      length: 40 + (((b[4] ?? 0) << 8) | (b[5] ?? 0)),
      ...transport(b, 40, protocol),
    };
  }
  return undefined;
}
