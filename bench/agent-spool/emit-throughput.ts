/**
 * Agent event spool benchmark: events per second for emit() plus the commit that makes them
 * durable, with the spool committing per batch (the default) against committing every emit on its
 * own (`commit: 'per-event'`, how the spool worked before), and the longest single emit() call
 * (how long the agent's event loop is blocked at worst), and the process CPU time per event
 * (process.cpuUsage: user + system, the figure that counts on a loaded machine, where wall time
 * mostly measures waiting for a core). `batched` uses small events, `batched rule-match` events
 * shaped like log inspection's (about 550 bytes of JSON, with a time). Run: `npm run bench:spool`
 * (`BENCH_SPOOL_DIR=/var/lib/bulwark` to measure on another filesystem than the temp dir).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EventSpool } from '@bulwark/platform-agent';
import type { NewEvent } from '@bulwark/protocol';

type CommitOptions = NonNullable<Parameters<typeof EventSpool.open>[3]>;

const base = process.env.BENCH_SPOOL_DIR ?? tmpdir();
const dir = mkdtempSync(join(base, 'bulwark-spool-bench-'));

interface Result {
  readonly mode: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly cpuMicrosPerEvent: number;
  readonly longestEmitMs: number;
  readonly p99EmitMs: number;
}

const smallEvent = (n: number): NewEvent => ({
  module: 'bench',
  type: 'verdict',
  severity: 'medium',
  summary: `connection ${n} blocked`,
  details: { n, source: '10.0.0.1', port: 443 },
});

const groups = ['syslog', 'sshd', 'authentication_failed'];
const ruleMatchEvent = (n: number): NewEvent => ({
  module: 'loginspect',
  type: 'rule-match',
  severity: 'medium',
  ruleId: '5716',
  summary: 'sshd: authentication failed.',
  details: {
    level: 5,
    groups,
    ruleDescription: 'sshd: authentication failed.',
    decoder: 'sshd',
    location: '/var/log/auth.log',
    source: 'file',
    fields: { srcip: `10.0.${(n >> 8) & 255}.${n & 255}`, srcport: String(1024 + (n % 60000)), dstuser: 'root' },
    fullLog: `Jan 12 10:00:${String(n % 60).padStart(2, '0')} host sshd[${n}]: Failed password for root from 10.0.${(n >> 8) & 255}.${n & 255} port ${1024 + (n % 60000)} ssh2`,
    programName: 'sshd',
    hostname: 'host',
  },
  time: new Date(1_700_000_000_000 + n).toISOString(),
});

function run(mode: string, events: number, commit: CommitOptions, make: (n: number) => NewEvent = smallEvent): Result {
  const spool = EventSpool.open(join(dir, `${mode}.db`), { maxEvents: 10_000_000 }, undefined, commit);
  const latencies = new Float64Array(events);
  // Built before the clock starts: the module's cost of making its event is not the spool's.
  const made = Array.from({ length: Math.min(events, 10_000) }, (_, n) => make(n));
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let n = 0; n < events; n++) {
    const t = performance.now();
    spool.emit(made[n % made.length] as NewEvent);
    latencies[n] = performance.now() - t;
  }
  spool.close(); // commits what is still queued: the figure counts durable events only
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    mode,
    events,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / seconds),
    cpuMicrosPerEvent: Number(((used.user + used.system) / events).toFixed(2)),
    longestEmitMs: Number((sorted.at(-1) ?? 0).toFixed(2)),
    p99EmitMs: Number((sorted[Math.floor(events * 0.99)] ?? 0).toFixed(3)),
  };
}

try {
  const fsType = `0x${statfsSync(base).type.toString(16)}`;
  console.log(
    `event spool emit throughput in ${base} (filesystem type ${fsType}), ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(2)}`,
  );
  const results = [
    run('per-event', Number(process.env.BENCH_SPOOL_PER_EVENT ?? 1000), { commit: 'per-event' }),
    run('batched', Number(process.env.BENCH_SPOOL_BATCHED ?? 100_000), { commit: 'batched' }),
    run(
      'batched rule-match',
      Number(process.env.BENCH_SPOOL_BATCHED ?? 100_000),
      { commit: 'batched' },
      ruleMatchEvent,
    ),
  ];
  console.table(results);
  console.log(`load after: ${loadavg()[0]?.toFixed(2)}`);
  const [perEvent, batched] = results;
  if (perEvent && batched)
    console.log(`batched / per-event: ${(batched.eventsPerSecond / perEvent.eventsPerSecond).toFixed(0)}x events/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
