/**
 * Runs inside the lab's server namespace (ip netns exec): binds an NFQUEUE queue and answers with
 * the mode the test sets over stdin. JSON lines out: ready / unavailable / packets / stats.
 * "stall" blocks this process's event loop outright (Atomics.wait), as a hung agent would.
 */
import { createInterface } from 'node:readline';
import { openPacketQueue, type PacketVerdict } from '@bulwark/kernel';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
let mode: PacketVerdict | 'ignore' = (process.env.BW_MODE as PacketVerdict) ?? 'accept';
let seen = 0;

const opened = openPacketQueue({
  queue: Number(process.env.BW_QUEUE),
  deadlineMs: Number(process.env.BW_DEADLINE_MS ?? 200),
  defaultVerdict: (process.env.BW_DEFAULT as PacketVerdict) ?? 'accept',
  copyRange: 64,
  onPackets(packets, queue) {
    seen += packets.length;
    const p = packets[0];
    out({
      packets: packets.length,
      seen,
      first: p && {
        hwProtocol: p.hwProtocol,
        hook: p.hook,
        length: p.length,
        version: (p.payload[0] ?? 0) >> 4,
        proto: p.payload[9],
      },
    });
    if (mode === 'ignore') return;
    const late = queue.verdicts(packets.map((pk) => ({ id: pk.id, verdict: mode as PacketVerdict })));
    if (late > 0) out({ late });
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
    const cmd = JSON.parse(text) as { mode?: PacketVerdict | 'ignore'; stallMs?: number; stats?: boolean };
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
