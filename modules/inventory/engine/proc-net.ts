import type { ListeningPort } from '@bulwark/protocol';
import { lines, type Parsed } from './parsed.js';

/** A socket that accepts traffic, with the inode that lets the agent find its process. */
export interface BoundSocket {
  readonly port: ListeningPort;
  readonly inode: number;
}

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

/**
 * /proc/net/{tcp,tcp6,udp,udp6}: the header line, then one socket per line whose local address is
 * hex "ADDR:PORT" in kernel byte order. TCP sockets count when LISTENing; UDP sockets when bound
 * and unconnected (state 07 with no remote port), which is how a UDP server waits for datagrams.
 */
export function parseProcNet(text: string, protocol: 'tcp' | 'udp', family: 'ipv4' | 'ipv6'): Parsed<BoundSocket[]> {
  const sockets: BoundSocket[] = [];
  let skipped = 0;
  const all = lines(text);
  for (const [index, line] of all.entries()) {
    if (index === 0 && /\blocal_address\b/.test(line)) continue;
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const local = parseEndpoint(fields[1], family);
    const remote = parseEndpoint(fields[2], family);
    const state = fields[3]?.toUpperCase();
    const inode = fields[9];
    if (!local || !remote || !state || !/^[0-9A-F]{2}$/.test(state) || !inode || !/^\d+$/.test(inode)) {
      skipped++;
      continue;
    }
    const accepting = protocol === 'tcp' ? state === TCP_LISTEN : state === UDP_UNCONNECTED && remote.port === 0;
    if (!accepting) continue;
    sockets.push({ port: { protocol, family, address: local.address, port: local.port }, inode: Number(inode) });
  }
  return { value: sockets, skipped };
}

function parseEndpoint(text: string | undefined, family: 'ipv4' | 'ipv6'): { address: string; port: number } | null {
  if (!text) return null;
  const match = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const hex = match[1];
  const port = Number.parseInt(match[2], 16);
  if (family === 'ipv4') return hex.length === 8 ? { address: ipv4(hex), port } : null;
  return hex.length === 32 ? { address: ipv6(hex), port } : null;
}

/** The kernel prints each 32-bit word in host (little-endian) order. */
function wordBytes(hex8: string): number[] {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex8.slice(i, i + 2), 16));
  return bytes.reverse();
}

function ipv4(hex: string): string {
  return wordBytes(hex).join('.');
}

function ipv6(hex: string): string {
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)));
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // IPv4-mapped (::ffff:a.b.c.d) reads best the way ss and netstat print it.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${bytes.slice(12).join('.')}`;
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(':');
  const head = text.slice(0, bestStart).join(':');
  const tail = text.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
