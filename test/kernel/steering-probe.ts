/**
 * Run by nfqueueSkipReason: tries the NFQUEUE steering the tests need for real, in a network
 * namespace made for the probe and removed after, and prints one JSON line {ok} or {ok, reason}.
 * A separate process so that the PATH it runs with is the one the caller chose.
 */
import { spawnSync } from 'node:child_process';
import { installQueueSteering } from '@bulwark/kernel';

const ns = `bwprobe${process.pid}`;
const added = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
if (added.status !== 0) {
  const why = added.error ? added.error.message : added.stderr.trim();
  process.stdout.write(`${JSON.stringify({ ok: false, reason: `cannot make a network namespace: ${why}` })}\n`);
} else {
  try {
    const steering = await installQueueSteering({ queue: 7, netns: ns, protocol: 'tcp', destinationPorts: [8080] });
    process.stdout.write(`${JSON.stringify(steering.ok ? { ok: true } : { ok: false, reason: steering.reason })}\n`);
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}
