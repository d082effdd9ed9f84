/**
 * Run by namespaceProbeFailure: tries one kernel feature the system tests need for real, in a
 * network namespace made for the probe and removed after, and prints one JSON line {ok} or
 * {ok, reason}. A separate process so that the PATH it runs with is the one the caller chose.
 * Usage: namespace-probe.ts nft | nflog | nfqueue
 */
import { spawnSync } from 'node:child_process';
import { installQueueSteering } from '@bulwark/kernel';

const kind = process.argv[2];
const ns = `bwprobe${process.pid}`;
const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** `nft -f -` in the namespace; the reason names what failed. */
function nft(ruleset: string): string | undefined {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: ruleset, encoding: 'utf8' });
  if (r.status === 0) return undefined;
  return `nft: ${r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`)}`;
}

async function probe(): Promise<string | undefined> {
  switch (kind) {
    case 'nft':
      // A table with a timed set, as the firewall's blocked sets.
      return nft('table inet bwprobe {\n  set s { type ipv4_addr; flags timeout; }\n}\n');
    case 'nflog':
      return nft(
        'table inet bwprobe {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport 9 log group 5\n  }\n}\n',
      );
    case 'nfqueue': {
      const steering = await installQueueSteering({ queue: 7, netns: ns, protocol: 'tcp', destinationPorts: [8080] });
      return steering.ok ? undefined : steering.reason;
    }
    default:
      return `unknown probe ${JSON.stringify(kind)}`;
  }
}

const added = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
if (added.status !== 0) {
  out({ ok: false, reason: `cannot make a network namespace: ${added.error?.message ?? added.stderr.trim()}` });
} else {
  try {
    const failure = await probe();
    out(failure === undefined ? { ok: true } : { ok: false, reason: failure });
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}
