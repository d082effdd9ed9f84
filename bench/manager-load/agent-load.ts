import https from 'node:https';
import type { AgentIdentity } from './agent-identity.js';
import { callJson } from './https-call.js';
import { LatencyRecorder } from './latency-recorder.js';
import type { LoadOptions } from './load-options.js';
import type { ManagerReady } from './manager-process.js';

interface SimulatedAgent {
  readonly identity: AgentIdentity;
  readonly agent: https.Agent;
  applied: string | null;
  seq: number;
  heartbeatInFlight: boolean;
  batchInFlight: boolean;
  heartbeatsFailed: number;
}

export interface LoadResult {
  readonly connect: {
    seconds: number;
    heartbeat: ReturnType<LatencyRecorder['summary']>;
    configuration: ReturnType<LatencyRecorder['summary']>;
  };
  readonly window: { seconds: number };
  readonly heartbeats: ReturnType<LatencyRecorder['summary']> & {
    perSecond: number;
    overlapped: number;
    lateDispatches: number;
    /** Heartbeats (connect and window) that needed a retry after a network error. */
    retried: number;
  };
  readonly agentsHeld: number;
  readonly agentsWithFailures: number;
  readonly agentsWithoutHeartbeatInWindow: number;
  readonly events: ReturnType<LatencyRecorder['summary']> & {
    offeredPerSecond: number;
    acceptedPerSecond: number;
    accepted: number;
    duplicates: number;
    batchesSkippedBusy: number;
  };
  readonly api: Record<string, ReturnType<LatencyRecorder['summary']>>;
  readonly wake: {
    started: number;
    answered: number;
    openAtEnd: number;
    errors: number;
    errorKinds: Record<string, number>;
  };
}

export const HEARTBEAT_TIMEOUT_MS = 30_000;
/**
 * The real agent retries a heartbeat that failed on the network (ManagerChannel, retries: 2,
 * backoff from 500 ms); the simulated agents do the same, so a keep-alive connection the manager
 * closed just as a heartbeat was written on it costs a retry, as on a real fleet, and the
 * retries are counted in the report.
 */
const HEARTBEAT_RETRY_DELAYS_MS = [500, 1000] as const;
export const NETWORK_ERROR_KINDS = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT']);
export const EVENT_TIMEOUT_MS = 60_000;
const TICK_MS = 20;

export function heartbeatBody(agent: { applied: string | null }) {
  return {
    appliedConfigurationVersion: agent.applied,
    modules: [{ id: 'firewall', state: 'on' as const }],
    spool: { pendingEvents: 0, droppedEvents: 0 },
    agentVersion: 'bench-0.1.0',
  };
}

/** A heartbeat as the real agent sends it: retried on network errors, never on HTTP answers. */
async function heartbeat(
  agent: SimulatedAgent,
  url: URL,
  counters: { retried: number },
): Promise<Awaited<ReturnType<typeof callJson>>> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const answer = await callJson(agent.agent, url, 'POST', {}, heartbeatBody(agent), HEARTBEAT_TIMEOUT_MS);
    const delay = HEARTBEAT_RETRY_DELAYS_MS[attempt];
    if (answer.ok || delay === undefined || !NETWORK_ERROR_KINDS.has(answer.kind)) {
      return { ...answer, ms: performance.now() - started };
    }
    if (attempt === 0) counters.retried++;
    await new Promise((r) => setTimeout(r, delay));
  }
}

export function eventBatch(agent: { seq: number }, size: number) {
  const time = new Date().toISOString();
  const events = [];
  for (let i = 0; i < size; i++) {
    agent.seq++;
    events.push({
      seq: agent.seq,
      time,
      module: 'firewall',
      type: 'packet-denied',
      severity: (['low', 'medium', 'high'] as const)[agent.seq % 3]!,
      ruleId: `bench-${agent.seq % 20}`,
      action: 'Deny',
      summary: `Denied TCP 203.0.113.${agent.seq % 250}:${40000 + (agent.seq % 20000)} -> 10.0.0.5:22`,
      details: { protocol: 'tcp', sourcePort: 40000 + (agent.seq % 20000), destinationPort: 22 },
    });
  }
  return { events };
}

/**
 * Holds `identities.length` agents at one heartbeat per interval each, spread evenly, while a
 * subset uploads event batches at the offered rate and the console API is probed for latency.
 * Every loop is bounded by the window's end; in-flight calls are bounded by their timeouts.
 */
export async function runAgentLoad(
  ready: ManagerReady,
  identities: readonly AgentIdentity[],
  options: LoadOptions,
  log: (line: string) => void,
  window: { started(): void; ended(): void },
): Promise<LoadResult> {
  const agentUrl = new URL(ready.agentUrl);
  const heartbeatUrl = new URL('/agent/v1/heartbeat', agentUrl);
  const eventsUrl = new URL('/agent/v1/events', agentUrl);
  const agents: SimulatedAgent[] = identities.map((identity) => ({
    identity,
    agent: new https.Agent({
      ca: ready.caCertPem,
      cert: identity.certPem,
      key: identity.keyPem,
      keepAlive: true,
      maxSockets: 2,
    }),
    applied: null,
    // Sequence numbers above every earlier run's, so cached agents never send duplicates:
    // 100 per millisecond of wall time is more than one agent uploads.
    seq: Date.now() * 100,
    heartbeatInFlight: false,
    batchInFlight: false,
    heartbeatsFailed: 0,
  }));

  // Connect: every agent's first heartbeat (and configuration download), as after a manager restart.
  const retries = { retried: 0 };
  const connectHeartbeat = new LatencyRecorder();
  const connectConfiguration = new LatencyRecorder();
  const connectStarted = performance.now();
  let nextToConnect = 0;
  let connected = 0;
  const connectWorker = async () => {
    while (nextToConnect < agents.length) {
      const agent = agents[nextToConnect++]!;
      const answer = await heartbeat(agent, heartbeatUrl, retries);
      if (!answer.ok) {
        connectHeartbeat.error(answer.kind);
        agent.heartbeatsFailed++;
        continue;
      }
      connectHeartbeat.record(answer.ms);
      const version = (answer.body as { configurationVersion: string }).configurationVersion;
      const config = await callJson(
        agent.agent,
        new URL(`/agent/v1/configuration/${encodeURIComponent(version)}`, agentUrl),
        'GET',
        {},
        undefined,
        HEARTBEAT_TIMEOUT_MS,
      );
      if (config.ok) {
        connectConfiguration.record(config.ms);
        agent.applied = version;
      } else connectConfiguration.error(config.kind);
      connected++;
      if (connected % 1000 === 0) log(`  connected ${connected}/${agents.length}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(64, agents.length) }, connectWorker));
  const connectSeconds = (performance.now() - connectStarted) / 1000;

  // Wake long-polls, if asked: each agent keeps one open, re-opened when it answers.
  const wake = { started: 0, answered: 0, openAtEnd: 0, errors: 0, errorKinds: {} as Record<string, number> };
  let stopping = false;
  const wakeLoops: Promise<void>[] = [];
  if (options.wake) {
    const wakeUrl = new URL('/agent/v1/wake?timeoutSeconds=55', agentUrl);
    for (const agent of agents) {
      wakeLoops.push(
        (async () => {
          for (let round = 0; round < 1000 && !stopping; round++) {
            wake.started++;
            const answer = await callJson(agent.agent, wakeUrl, 'GET', {}, undefined, 70_000);
            if (answer.ok) wake.answered++;
            else if (stopping) {
              // The benchmark closed the connection under a still-open long-poll: the expected end.
              wake.openAtEnd++;
              break;
            } else {
              wake.errors++;
              wake.errorKinds[answer.kind] = (wake.errorKinds[answer.kind] ?? 0) + 1;
              await new Promise((r) => setTimeout(r, 1000));
            }
          }
        })(),
      );
      if (wake.started % 500 === 0) await new Promise((r) => setTimeout(r, 10));
    }
  }

  // The measured window.
  const heartbeats = new LatencyRecorder();
  const events = new LatencyRecorder();
  const api: Record<string, LatencyRecorder> = {
    'GET /api/computers': new LatencyRecorder(),
    'GET /api/events': new LatencyRecorder(),
  };
  let overlapped = 0;
  let lateDispatches = 0;
  let accepted = 0;
  let duplicates = 0;
  let batchesOffered = 0;
  let batchesSkippedBusy = 0;
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const windowOk = new Uint32Array(agents.length);
  const intervalMs = options.heartbeatIntervalSeconds * 1000;
  const windowMs = options.durationSeconds * 1000;
  window.started();
  const start = performance.now();
  const end = start + windowMs;
  let nextHeartbeat = 0; // counts dispatches; agent = n % N, due = start + (n / N) * interval
  const dueAt = (n: number) => start + (n / agents.length) * intervalMs;
  const eventAgents = agents.slice(0, options.eventAgents);
  let nextEventAgent = 0;

  const probeLoop = (async () => {
    const consoleAgent = new https.Agent({ ca: ready.caCertPem, keepAlive: true, maxSockets: 1 });
    const auth = { authorization: `Bearer ${ready.apiKey}` };
    for (let round = 0; performance.now() < end && round < 100_000; round++) {
      for (const [name, path] of [
        ['GET /api/computers', '/api/computers?limit=50'],
        ['GET /api/events', '/api/events?limit=50'],
      ] as const) {
        const answer = await callJson(consoleAgent, new URL(path, ready.consoleUrl), 'GET', auth, undefined, 30_000);
        if (answer.ok) api[name]!.record(answer.ms);
        else api[name]!.error(answer.kind);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    consoleAgent.destroy();
  })();

  let lastLog = start;
  for (let tick = 0; tick < windowMs / TICK_MS + 1000; tick++) {
    const now = performance.now();
    if (now >= end) break;
    for (let guard = 0; guard < agents.length && dueAt(nextHeartbeat) <= now; guard++) {
      if (now - dueAt(nextHeartbeat) > 1000) lateDispatches++;
      const index = nextHeartbeat % agents.length;
      const agent = agents[index]!;
      nextHeartbeat++;
      if (agent.heartbeatInFlight) {
        overlapped++;
        continue;
      }
      agent.heartbeatInFlight = true;
      track(
        heartbeat(agent, heartbeatUrl, retries).then((answer) => {
          agent.heartbeatInFlight = false;
          if (answer.ok) {
            heartbeats.record(answer.ms);
            windowOk[index]!++;
          } else {
            heartbeats.error(answer.kind);
            agent.heartbeatsFailed++;
          }
        }),
      );
    }
    if (options.eventsPerSecondTarget > 0) {
      const due = Math.floor((((now - start) / 1000) * options.eventsPerSecondTarget) / options.batchSize);
      for (let guard = 0; batchesOffered < due && guard < 1000; guard++) {
        batchesOffered++;
        let agent: SimulatedAgent | undefined;
        for (let tries = 0; tries < eventAgents.length; tries++) {
          const candidate = eventAgents[nextEventAgent++ % eventAgents.length]!;
          if (!candidate.batchInFlight) {
            agent = candidate;
            break;
          }
        }
        if (agent === undefined) {
          batchesSkippedBusy++;
          continue;
        }
        const sender = agent;
        sender.batchInFlight = true;
        track(
          callJson(sender.agent, eventsUrl, 'POST', {}, eventBatch(sender, options.batchSize), EVENT_TIMEOUT_MS).then(
            (answer) => {
              sender.batchInFlight = false;
              if (answer.ok && performance.now() <= end) {
                events.record(answer.ms);
                const ack = answer.body as { accepted: number; duplicates: number };
                accepted += ack.accepted;
                duplicates += ack.duplicates;
              } else if (!answer.ok) events.error(answer.kind);
            },
          ),
        );
      }
    }
    if (now - lastLog >= 10_000) {
      lastLog = now;
      const s = heartbeats.summary();
      log(
        `  t=${Math.round((now - start) / 1000)}s heartbeats ok=${s.count} err=${s.errors} in-flight=${inFlight.size} events accepted=${accepted}`,
      );
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const windowSeconds = (performance.now() - start) / 1000;
  window.ended();
  stopping = true;
  await probeLoop;
  // Calls still in flight finish within their own timeouts; do not wait longer than the longest.
  await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, EVENT_TIMEOUT_MS + 1000))]);
  for (const agent of agents) agent.agent.destroy();
  await Promise.race([Promise.allSettled(wakeLoops), new Promise((r) => setTimeout(r, 5000))]);

  let held = 0;
  let withFailures = 0;
  let withoutWindowHeartbeat = 0;
  agents.forEach((agent, i) => {
    if (agent.heartbeatsFailed > 0) withFailures++;
    else if (windowOk[i]! === 0) withoutWindowHeartbeat++;
    else held++;
  });
  const heartbeatSummary = heartbeats.summary();
  return {
    connect: {
      seconds: connectSeconds,
      heartbeat: connectHeartbeat.summary(),
      configuration: connectConfiguration.summary(),
    },
    window: { seconds: windowSeconds },
    heartbeats: {
      ...heartbeatSummary,
      perSecond: heartbeatSummary.count / windowSeconds,
      overlapped,
      lateDispatches,
      retried: retries.retried,
    },
    agentsHeld: held,
    agentsWithFailures: withFailures,
    agentsWithoutHeartbeatInWindow: withoutWindowHeartbeat,
    events: {
      ...events.summary(),
      offeredPerSecond: (batchesOffered * options.batchSize) / windowSeconds,
      acceptedPerSecond: accepted / windowSeconds,
      accepted,
      duplicates,
      batchesSkippedBusy,
    },
    api: Object.fromEntries(Object.entries(api).map(([name, recorder]) => [name, recorder.summary()])),
    wake,
  };
}
