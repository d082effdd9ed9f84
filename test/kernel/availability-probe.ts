/** Opens every kernel feature and prints what the wrapper answered, as one JSON line. */
import { kernelAddonStatus, openFileAccessMonitor, openPacketLog, openPacketQueue } from '@bulwark/kernel';

const results = {
  addon: kernelAddonStatus(),
  fanotify: openFileAccessMonitor({ onEvents() {} }),
  nfqueue: openPacketQueue({ queue: Number(process.env.BW_QUEUE ?? 3), onPackets() {} }),
  nflog: openPacketLog({ group: Number(process.env.BW_GROUP ?? 3), onPackets() {} }),
};
process.stdout.write(`${JSON.stringify(results)}\n`);
// Anything that did open is closed, so the process can end.
for (const r of [results.fanotify, results.nfqueue, results.nflog]) if (r.available) r.value.close();
