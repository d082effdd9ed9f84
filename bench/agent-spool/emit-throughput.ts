/**
 * Agent event spool benchmark: events per second for emit() plus the commit that makes them
 * durable, with the spool committing per batch (the default) against committing every emit on its
 * own (`commit: 'per-event'`, how the spool worked before), and the longest single emit() call
 * (how long the agent's event loop is blocked at worst). Run: `npm run bench:spool`
 * (`BENCH_SPOOL_DIR=/var/lib/bulwark` to measure on another filesystem than the temp dir).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EventSpool } from '@bulwark/platform-agent';

type CommitOptions = NonNullable<Parameters<typeof EventSpool.open>[3]>;

const base = process.env.BENCH_SPOOL_DIR ?? tmpdir();
const dir = mkdtempSync(join(base, 'bulwark-spool-bench-'));

interface Result {
  readonly mode: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly longestEmitMs: number;
  readonly p99EmitMs: number;
}

function run(mode: string, events: number, commit: CommitOptions): Result {
  const spool = EventSpool.open(join(dir, `${mode}.db`), { maxEvents: 10_000_000 }, undefined, commit);
  const latencies = new Float64Array(events);
  const start = performance.now();
  for (let n = 0; n < events; n++) {
    const t = performance.now();
    spool.emit({
      module: 'bench',
      type: 'verdict',
      severity: 'medium',
      summary: `connection ${n} blocked`,
      details: { n, source: '10.0.0.1', port: 443 },
    });
    latencies[n] = performance.now() - t;
  }
  spool.close(); // commits what is still queued: the figure counts durable events only
  const seconds = (performance.now() - start) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    mode,
    events,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / seconds),
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
  ];
  console.table(results);
  const [perEvent, batched] = results;
  if (perEvent && batched)
    console.log(`batched / per-event: ${(batched.eventsPerSecond / perEvent.eventsPerSecond).toFixed(0)}x events/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
