import type { ClusterLoadResult } from './cluster-load.js';
import type { LoadOptions } from './load-options.js';

type Summary = ClusterLoadResult['api'];

interface ClusterReport extends ClusterLoadResult {
  readonly options: LoadOptions;
  readonly machine: { cpus: number; loadAverageBefore: number | null; loadAverageAfter: number | null };
  readonly stored: { expected: number; stored: number; lost: number; doubled: number };
  readonly nodeCpuSeconds: (number | null)[];
}

const ms = (s: Summary) => `p50 ${s.p50Ms ?? '-'} ms, p99 ${s.p99Ms ?? '-'} ms, max ${s.maxMs ?? '-'} ms`;
const errors = (s: Summary) => (s.errors === 0 ? '0 errors' : `${s.errors} errors ${JSON.stringify(s.errorKinds)}`);

/** The cluster run as the lines docs/performance.md and docs/cluster.md quote. */
export function formatClusterReport(r: ClusterReport): string {
  const o = r.options;
  const seconds = r.window.seconds;
  const lines = [
    `manager-load cluster — ${o.agents} agents over ${o.nodes} nodes on one PostgreSQL, heartbeat every ${o.heartbeatIntervalSeconds} s, ${Math.round(seconds)} s window${o.killNode ? ', last node killed half-way' : ''}`,
    `machine: ${r.machine.cpus} CPUs, load average ${r.machine.loadAverageBefore} before, ${r.machine.loadAverageAfter} after`,
    `connect: ${r.connectSeconds.toFixed(1)} s for every agent's first heartbeat on its home node`,
    `total: agents held ${r.agentsHeld}/${o.agents} (with a failed heartbeat: ${r.agentsWithFailures}); heartbeats ${r.heartbeatsPerSecond.toFixed(1)}/s, ${ms(r.heartbeats)}, ${errors(r.heartbeats)}; events accepted ${r.events.acceptedPerSecond.toFixed(0)}/s (${r.events.accepted} in the run, ${r.events.duplicates} duplicates); API ${ms(r.api)}, ${errors(r.api)}`,
  ];
  r.nodes.forEach((node, i) => {
    lines.push(
      `node ${i}${node.killed ? ' (killed)' : ''}: heartbeats ${(node.heartbeats.count / seconds).toFixed(1)}/s ${ms(node.heartbeats)}, ${errors(node.heartbeats)}; events accepted ${(node.eventsAccepted / seconds).toFixed(0)}/s; API ${ms(node.api)}; ${r.nodeCpuSeconds[i] ?? '-'} CPU-s`,
    );
  });
  if (r.failover !== null) {
    const f = r.failover;
    lines.push(
      `failover: node killed at ${f.killedAtSecond} s with ${f.agentsOnKilledNode} agents on it; ${f.reconnected} answered by a live node since, max ${f.reconnectSecondsMax?.toFixed(1) ?? '-'} s, p99 ${f.reconnectSecondsP99?.toFixed(1) ?? '-'} s after the kill`,
    );
  }
  lines.push(
    `events in the database: ${r.stored.expected} sent, ${r.stored.lost} lost, ${r.stored.doubled} doubled (${r.events.owedAtEnd} batches still undelivered after the drain)`,
  );
  return lines.join('\n');
}
