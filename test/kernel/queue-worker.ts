/**
 * Runs inside the lab's server namespace (ip netns exec): binds an NFQUEUE queue and answers with
 * the mode the test sets over stdin. JSON lines out: ready / unavailable / packets / stats.
 * "stall" blocks this process's event loop outright (Atomics.wait), as a hung agent would.
 * Mode "hold-one" keeps every other batch unanswered and answers it together with the next one,
 * in one verdict call: the held packets are late by construction (the next batch only comes once
 * they got the default), the next batch's are answered at once.
 */
import { createInterface } from 'node:readline';
import { openPacketQueue, type PacketVerdict, type QueuedPacket } from '@bulwark/kernel';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
type Mode = PacketVerdict | 'ignore' | 'mark' | 'same-payload' | 'rewrite-port' | 'hold-one';
let mode: Mode = (process.env.BW_MODE as Mode) ?? 'accept';
let seen = 0;
/** TCP segments JS saw that only acknowledge (no payload; no SYN, FIN, RST, URG). */
let bareAcks = 0;
let held: readonly QueuedPacket[] = [];

function isBareAck(b: Uint8Array): boolean {
  if ((b[0] ?? 0) >> 4 !== 4 || b[9] !== 6) return false;
  const ihl = ((b[0] ?? 0) & 0x0f) * 4;
  const total = ((b[2] ?? 0) << 8) | (b[3] ?? 0);
  const tcpLength = ((b[ihl + 12] ?? 0) >> 4) * 4;
  const flags = b[ihl + 13] ?? 0;
  return total === ihl + tcpLength && (flags & 0x10) !== 0 && (flags & 0x27) === 0;
}

const opened = openPacketQueue({
  queue: Number(process.env.BW_QUEUE),
  deadlineMs: Number(process.env.BW_DEADLINE_MS ?? 200),
  defaultVerdict: (process.env.BW_DEFAULT as PacketVerdict) ?? 'accept',
  copyRange: Number(process.env.BW_COPY_RANGE ?? 64),
  acceptBareTcpAcks: process.env.BW_BARE_ACKS === '1',
  onPackets(packets, queue) {
    seen += packets.length;
    for (const pk of packets) if (isBareAck(pk.payload)) bareAcks++;
    const p = packets[0];
    out({
      packets: packets.length,
      seen,
      bareAcks,
      first: p && {
        hwProtocol: p.hwProtocol,
        hook: p.hook,
        length: p.length,
        version: (p.payload[0] ?? 0) >> 4,
        proto: p.payload[9],
      },
    });
    if (mode === 'ignore') return;
    if (mode === 'hold-one') {
      if (held.length === 0) {
        held = packets;
        out({ holding: packets.map((pk) => pk.id) });
        return;
      }
      const answering = [...held, ...packets];
      held = [];
      const lateIds = queue.verdicts(answering.map((pk) => ({ id: pk.id, verdict: 'accept', mark: 7 })));
      out({ answeredHeld: answering.length - packets.length, fresh: packets.map((pk) => pk.id), lateIds });
      return;
    }
    if (mode === 'mark') {
      queue.verdicts(packets.map((pk) => ({ id: pk.id, verdict: 'accept', mark: 42 })));
      return;
    }
    if (mode === 'same-payload' || mode === 'rewrite-port') {
      let changedCount = 0;
      for (const pk of packets) {
        const changed = mode === 'rewrite-port' ? withDestinationPort(pk, 8081) : withDestinationPort(pk, undefined);
        if (changed && !pk.truncated && queue.verdictWithPayload(pk.id, 'accept', changed)) changedCount++;
        else queue.verdict(pk.id, 'accept');
      }
      out({ changed: changedCount });
      return;
    }
    const lateIds = queue.verdicts(packets.map((pk) => ({ id: pk.id, verdict: mode as PacketVerdict })));
    if (lateIds.length > 0) out({ late: lateIds.length, lateIds, answered: packets.map((pk) => pk.id) });
  },
});
if (!opened.available) {
  out({ unavailable: opened.reason });
  process.exit(0);
}
const queue = opened.value;
out({ ready: true });

createInterface({ input: process.stdin })
  .on('line', (text) => {
    const cmd = JSON.parse(text) as { mode?: Mode; stallMs?: number; stats?: boolean };
    if (cmd.mode) {
      mode = cmd.mode;
      out({ mode });
    }
    if (cmd.stallMs) {
      out({ stalling: cmd.stallMs });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, cmd.stallMs);
      out({ stalled: cmd.stallMs });
    }
    if (cmd.stats) out({ stats: queue.stats() });
  })
  .on('close', () => {
    queue.close();
    process.exit(0);
  });

/** IPv4/TCP: a copy with the destination port set (or kept) and both checksums complete. */
function withDestinationPort(p: QueuedPacket, port: number | undefined): Uint8Array | undefined {
  const b = Uint8Array.from(p.payload);
  if (b.length < 40 || b[0] === undefined || b[0] >> 4 !== 4 || b[9] !== 6) return undefined;
  const ihl = (b[0] & 0x0f) * 4;
  const total = (b[2] ?? 0) * 256 + (b[3] ?? 0);
  if (total !== b.length) return undefined;
  const view = new DataView(b.buffer);
  if (port !== undefined) view.setUint16(ihl + 2, port);
  view.setUint16(ihl + 16, 0);
  const pseudo = new Uint8Array(12 + b.length - ihl);
  pseudo.set(b.subarray(12, 20), 0);
  pseudo[9] = 6;
  new DataView(pseudo.buffer).setUint16(10, b.length - ihl);
  pseudo.set(b.subarray(ihl), 12);
  view.setUint16(ihl + 16, checksum(pseudo));
  return b;
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
