/** Runs inside the lab's server namespace: subscribes to an NFLOG group and prints what it gets. */
import { createInterface } from 'node:readline';
import { openPacketLog } from '@bulwark/kernel';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const opened = openPacketLog({
  group: Number(process.env.BW_GROUP),
  copyRange: 40,
  flushMs: 20,
  onPackets(packets) {
    for (const p of packets) {
      out({
        prefix: p.prefix,
        hwProtocol: p.hwProtocol,
        hook: p.hook,
        inInterface: p.inInterface,
        bytes: p.payload.byteLength,
        version: (p.payload[0] ?? 0) >> 4,
        proto: p.payload[9],
        source: [...p.payload.subarray(12, 16)].join('.'),
        destinationPort: ((p.payload[22] ?? 0) << 8) | (p.payload[23] ?? 0),
        timeMs: p.timeMs,
      });
    }
  },
});
if (!opened.available) {
  out({ unavailable: opened.reason });
  process.exit(0);
}
const log = opened.value;
out({ ready: true });
createInterface({ input: process.stdin })
  .on('line', () => out({ stats: log.stats() }))
  .on('close', () => {
    log.close();
    process.exit(0);
  });
