type Summary = {
  count: number;
  errors: number;
  errorKinds: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
};

interface Report {
  options: {
    agents: number;
    durationSeconds: number;
    store: string;
    eventsPerSecondTarget: number;
    batchSize: number;
    eventAgents: number;
    heartbeatIntervalSeconds: number;
    wake: boolean;
  };
  machine: {
    cpus: number;
    loadAverageBefore: number | null;
    loadAverageAfter: number | null;
    cpuPressure: number | null;
  };
  activation: { activated: number; failed: number; seconds: number } | null;
  window: { seconds: number };
  connect: { seconds: number; heartbeat: Summary; configuration: Summary };
  heartbeats: Summary & { perSecond: number; overlapped: number; lateDispatches: number; retried: number };
  agentsHeld: number;
  agentsWithFailures: number;
  agentsWithoutHeartbeatInWindow: number;
  events: Summary & {
    offeredPerSecond: number;
    acceptedPerSecond: number;
    accepted: number;
    duplicates: number;
    batchesSkippedBusy: number;
  };
  api: Record<string, Summary>;
  wake: { started: number; answered: number; openAtEnd: number; errors: number };
  manager: {
    cpuPercentInWindow: number | null;
    cpuSecondsInWindow: number | null;
    eventsPerCpuSecond: number | null;
    heartbeatsPerCpuSecond: number | null;
    rssMb: number | null;
    computersByStatus: Record<string, number>;
  };
  generatorCpuPercentInWindow: number;
}

const ms = (s: Summary) => `p50 ${s.p50Ms ?? '-'} ms, p99 ${s.p99Ms ?? '-'} ms, max ${s.maxMs ?? '-'} ms`;
const errors = (s: Summary) => (s.errors === 0 ? '0 errors' : `${s.errors} errors ${JSON.stringify(s.errorKinds)}`);

/** The result as the lines docs/performance.md quotes. */
export function formatReport(r: Report): string {
  const o = r.options;
  const lines = [
    `manager-load — ${o.agents} agents on ${o.store}, heartbeat every ${o.heartbeatIntervalSeconds} s${o.wake ? ' + wake long-poll each' : ''}, ${Math.round(r.window.seconds)} s window`,
    `machine: ${r.machine.cpus} CPUs, load average ${r.machine.loadAverageBefore} before, ${r.machine.loadAverageAfter} after; CPU pressure ${r.machine.cpuPressure ?? '-'}% (share of time some task waited for a CPU)`,
  ];
  if (r.activation !== null) {
    lines.push(
      `activation: ${r.activation.activated} agents in ${r.activation.seconds.toFixed(1)} s (${(r.activation.activated / r.activation.seconds).toFixed(0)}/s), ${r.activation.failed} failed`,
    );
  }
  lines.push(
    `connect (first heartbeat + configuration of every agent): ${r.connect.seconds.toFixed(1)} s; heartbeat ${ms(r.connect.heartbeat)}, ${errors(r.connect.heartbeat)}`,
    `agents held: ${r.agentsHeld}/${o.agents} (failures: ${r.agentsWithFailures}, no heartbeat due in window: ${r.agentsWithoutHeartbeatInWindow})`,
    `heartbeats: ${r.heartbeats.perSecond.toFixed(1)}/s, ${ms(r.heartbeats)}, ${errors(r.heartbeats)}, overlapped ${r.heartbeats.overlapped}, late dispatches ${r.heartbeats.lateDispatches}, retried after a network error ${r.heartbeats.retried}`,
    `events: offered ${r.events.offeredPerSecond.toFixed(0)}/s, accepted ${r.events.acceptedPerSecond.toFixed(0)}/s (${r.events.accepted} events, ${r.events.duplicates} duplicates) in batches of ${o.batchSize} from ${o.eventAgents} agents; batch ${ms(r.events)}, ${errors(r.events)}, ${r.events.batchesSkippedBusy} batches not sent (every event agent busy)`,
  );
  for (const [name, s] of Object.entries(r.api))
    lines.push(`${name} under load: ${s.count} calls, ${ms(s)}, ${errors(s)}`);
  if (o.wake)
    lines.push(
      `wake long-polls: ${r.wake.started} opened, ${r.wake.answered} answered, ${r.wake.openAtEnd} still open at the end, ${r.wake.errors} errors`,
    );
  lines.push(
    `manager process: ${r.manager.cpuPercentInWindow ?? '-'}% CPU in the window, RSS ${r.manager.rssMb ?? '-'} MB; computers by status ${JSON.stringify(r.manager.computersByStatus)}`,
    `manager cost: ${r.manager.cpuSecondsInWindow ?? '-'} CPU-s in the window for ${r.events.accepted} events and ${r.heartbeats.count} heartbeats (${r.manager.eventsPerCpuSecond ?? '-'} events per CPU-second, mixed load)`,
    `load generator: ${r.generatorCpuPercentInWindow}% CPU in the window`,
  );
  return lines.join('\n');
}
