import https from 'node:https';
import type { AgentIdentity } from './agent-identity.js';
import {
  EVENT_TIMEOUT_MS,
  eventBatch,
  HEARTBEAT_TIMEOUT_MS,
  heartbeatBody,
  NETWORK_ERROR_KINDS,
} from './agent-load.js';
import { type CallResult, callJson } from './https-call.js';
import { LatencyRecorder } from './latency-recorder.js';
import type { LoadOptions } from './load-options.js';
import type { ManagerReady } from './manager-process.js';

const TICK_MS = 20;
/** How long after the window undelivered batches are still retried, so "lost" means lost. */
const DRAIN_MS = 60_000;

/** A simulated agent of a cluster: a home node, the node it uses now, and the batch it still owes. */
interface ClusterAgent {
  readonly identity: AgentIdentity;
  readonly agent: https.Agent;
  /** Agent URLs it may use: the node it was given, then what heartbeat answers name. */
  nodes: string[];
  current: number;
  applied: string | null;
  seq: number;
  heartbeatInFlight: boolean;
  /** A batch sent and not yet acknowledged: sent again (same seqs) until a node takes it. */
  owed: { events: unknown[] } | null;
  batchInFlight: boolean;
  failed: number;
  heartbeatsInWindow: number;
  /** Set when its node was killed under it; cleared with the time of its first answer from another node. */
  orphanedAt: number | null;
}

export interface NodeFigures {
  readonly agentUrl: string;
  readonly heartbeats: ReturnType<LatencyRecorder['summary']>;
  readonly eventsAccepted: number;
  readonly api: ReturnType<LatencyRecorder['summary']>;
  readonly killed: boolean;
}

export interface ClusterLoadResult {
  readonly window: { seconds: number };
  readonly connectSeconds: number;
  readonly agentsHeld: number;
  readonly agentsWithFailures: number;
  readonly heartbeatsPerSecond: number;
  readonly heartbeats: ReturnType<LatencyRecorder['summary']>;
  readonly events: { accepted: number; duplicates: number; acceptedPerSecond: number; sent: number; owedAtEnd: number };
  readonly api: ReturnType<LatencyRecorder['summary']>;
  readonly nodes: NodeFigures[];
  readonly failover: null | {
    killedAtSecond: number;
    agentsOnKilledNode: number;
    reconnected: number;
    reconnectSecondsMax: number | null;
    reconnectSecondsP99: number | null;
  };
  /** seqs every event agent sent (first..last), for the database check. */
  readonly sent: { computerId: string; firstSeq: number; lastSeq: number }[];
}

/**
 * Simulated agents spread over the nodes of a cluster (agent i starts on node i mod N). Each
 * keeps the list of nodes heartbeat answers name and, on a network error, moves to the next one
 * and sends the same call there, as the real agent's channel does; an event batch is kept until a
 * node acknowledges it. With `killAt`, the caller kills a node half-way and each agent left
 * without its node is timed until another node answers it.
 */
export async function runClusterLoad(
  nodes: readonly ManagerReady[],
  identities: readonly AgentIdentity[],
  options: LoadOptions,
  log: (line: string) => void,
  killHalfWay: ((index: number) => Promise<void>) | null,
): Promise<ClusterLoadResult> {
  const byUrl = new Map(nodes.map((n, i) => [new URL(n.agentUrl).origin, i]));
  const perNode = nodes.map(() => ({ heartbeats: new LatencyRecorder(), accepted: 0, api: new LatencyRecorder() }));
  const agents: ClusterAgent[] = identities.map((identity, i) => ({
    identity,
    agent: new https.Agent({
      ca: nodes[0]!.caCertPem,
      cert: identity.certPem,
      key: identity.keyPem,
      keepAlive: true,
      maxSockets: 2,
    }),
    nodes: [new URL(nodes[i % nodes.length]!.agentUrl).origin],
    current: 0,
    applied: null,
    seq: Date.now() * 100,
    heartbeatInFlight: false,
    owed: null,
    batchInFlight: false,
    failed: 0,
    heartbeatsInWindow: 0,
    orphanedAt: null,
  }));

  /** One call with the agent's failover: every other node it knows is tried at once on a network error. */
  async function call(agent: ClusterAgent, path: string, method: string, body: unknown, timeoutMs: number) {
    let result: CallResult & { node?: string } = { ok: false, kind: 'no node', ms: 0 };
    for (let hop = 0; hop < agent.nodes.length; hop++) {
      const node = agent.nodes[agent.current]!;
      result = await callJson(agent.agent, new URL(path, node), method, {}, body, timeoutMs);
      if (result.ok || !NETWORK_ERROR_KINDS.has(result.kind)) return { ...result, node };
      agent.current = (agent.current + 1) % agent.nodes.length;
    }
    return result;
  }

  async function heartbeat(agent: ClusterAgent, inWindow: boolean): Promise<boolean> {
    agent.heartbeatInFlight = true;
    const answer = await call(
      agent,
      '/agent/v1/heartbeat',
      'POST',
      { ...heartbeatBody(agent), acceptsManagerNodes: true },
      HEARTBEAT_TIMEOUT_MS,
    );
    agent.heartbeatInFlight = false;
    const node = 'node' in answer && answer.node !== undefined ? byUrl.get(answer.node) : undefined;
    if (!answer.ok) {
      agent.failed++;
      if (inWindow) heartbeats.error(answer.kind);
      if (node !== undefined && inWindow) perNode[node]!.heartbeats.error(answer.kind);
      return false;
    }
    if (node !== undefined && inWindow) perNode[node]!.heartbeats.record(answer.ms);
    if (inWindow) heartbeats.record(answer.ms);
    noteAnswer(agent);
    const body = answer.body as { configurationVersion: string; managerNodes?: string[] };
    if (body.managerNodes) {
      const using = agent.nodes[agent.current]!;
      agent.nodes = [...new Set([...agent.nodes.slice(0, 1), ...body.managerNodes])];
      agent.current = Math.max(0, agent.nodes.indexOf(using));
    }
    if (inWindow) agent.heartbeatsInWindow++;
    agent.applied = body.configurationVersion;
    return true;
  }

  const heartbeats = new LatencyRecorder();
  const reconnectSeconds: number[] = [];
  function noteAnswer(agent: ClusterAgent) {
    if (agent.orphanedAt === null) return;
    reconnectSeconds.push((performance.now() - agent.orphanedAt) / 1000);
    agent.orphanedAt = null;
  }

  // Connect: every agent's first heartbeat, on its home node; it learns the other nodes there.
  const connectStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(64, agents.length) }, async () => {
      while (next < agents.length) await heartbeat(agents[next++]!, false);
    }),
  );
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  log(`  connected ${agents.length} agents over ${nodes.length} nodes in ${connectSeconds.toFixed(1)} s`);

  const api = new LatencyRecorder();
  let accepted = 0;
  let duplicates = 0;
  let sentEvents = 0;
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const eventAgents = agents.slice(0, options.eventAgents);
  const firstSeqs = eventAgents.map((a) => a.seq + 1);

  async function sendOwed(agent: ClusterAgent): Promise<void> {
    if (agent.owed === null || agent.batchInFlight) return;
    agent.batchInFlight = true;
    const answer = await call(agent, '/agent/v1/events', 'POST', agent.owed, EVENT_TIMEOUT_MS);
    agent.batchInFlight = false;
    if (!answer.ok) return; // kept: sent again at its next turn, to whichever node it uses then
    noteAnswer(agent);
    const ack = answer.body as { accepted: number; duplicates: number };
    agent.owed = null;
    accepted += ack.accepted;
    duplicates += ack.duplicates;
    const node = 'node' in answer && answer.node !== undefined ? byUrl.get(answer.node) : undefined;
    if (node !== undefined) perNode[node]!.accepted += ack.accepted;
  }

  const intervalMs = options.heartbeatIntervalSeconds * 1000;
  const windowMs = options.durationSeconds * 1000;
  const start = performance.now();
  const end = start + windowMs;
  let killedNode: number | null = null;
  let killedAt = 0;
  let agentsOnKilledNode = 0;

  const probe = (async () => {
    const consoleAgent = new https.Agent({ ca: nodes[0]!.caCertPem, keepAlive: true, maxSockets: 1 });
    for (let round = 0; performance.now() < end && round < 100_000; round++) {
      const index = round % nodes.length;
      if (index === killedNode) continue;
      const node = nodes[index]!;
      for (const path of ['/api/computers?limit=50', '/api/events?limit=50']) {
        const answer = await callJson(
          consoleAgent,
          new URL(path, node.consoleUrl),
          'GET',
          { authorization: `Bearer ${node.apiKey}` },
          undefined,
          30_000,
        );
        if (answer.ok) {
          api.record(answer.ms);
          perNode[index]!.api.record(answer.ms);
        } else if (index !== killedNode) {
          api.error(answer.kind);
          perNode[index]!.api.error(answer.kind);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    consoleAgent.destroy();
  })();

  let dispatched = 0;
  let batchesOffered = 0;
  let nextEventAgent = 0;
  let lastLog = start;
  while (performance.now() < end) {
    const now = performance.now();
    if (killHalfWay !== null && killedNode === null && now - start >= windowMs / 2) {
      killedNode = nodes.length - 1;
      const origin = new URL(nodes[killedNode]!.agentUrl).origin;
      killedAt = performance.now();
      for (const agent of agents)
        if (agent.nodes[agent.current] === origin) {
          agent.orphanedAt = killedAt;
          agentsOnKilledNode++;
        }
      log(`  t=${Math.round((now - start) / 1000)}s killing node ${killedNode} (${agentsOnKilledNode} agents on it)`);
      await killHalfWay(killedNode);
    }
    for (let guard = 0; guard < agents.length && start + (dispatched / agents.length) * intervalMs <= now; guard++) {
      const agent = agents[dispatched++ % agents.length]!;
      if (!agent.heartbeatInFlight) track(heartbeat(agent, true));
    }
    const due = Math.floor((((now - start) / 1000) * options.eventsPerSecondTarget) / options.batchSize);
    for (let guard = 0; batchesOffered < due && guard < 1000; guard++) {
      batchesOffered++;
      let chosen: ClusterAgent | undefined;
      for (let k = 0; k < eventAgents.length && chosen === undefined; k++) {
        const candidate = eventAgents[nextEventAgent++ % eventAgents.length]!;
        if (candidate.owed === null && !candidate.batchInFlight) chosen = candidate;
      }
      if (chosen === undefined) continue; // every event agent still owes a batch: not offered
      chosen.owed = eventBatch(chosen, options.batchSize);
      sentEvents += options.batchSize;
      track(sendOwed(chosen));
    }
    // Batches a node did not take go again, to the node the agent uses now.
    for (const agent of eventAgents) if (agent.owed !== null && !agent.batchInFlight) track(sendOwed(agent));
    if (now - lastLog >= 10_000) {
      lastLog = now;
      log(`  t=${Math.round((now - start) / 1000)}s in-flight=${inFlight.size} events accepted=${accepted}`);
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const windowSeconds = (performance.now() - start) / 1000;
  await probe;
  // Drain: what is still owed is delivered (or counted as owed) before the database is checked.
  const drainEnd = performance.now() + DRAIN_MS;
  while (performance.now() < drainEnd && eventAgents.some((a) => a.owed !== null)) {
    for (const agent of eventAgents) if (agent.owed !== null && !agent.batchInFlight) track(sendOwed(agent));
    await new Promise((r) => setTimeout(r, 200));
  }
  await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, EVENT_TIMEOUT_MS))]);
  for (const agent of agents) agent.agent.destroy();

  const held = agents.filter((a) => a.heartbeatsInWindow > 0).length;
  const sortedReconnect = [...reconnectSeconds].sort((a, b) => a - b);
  return {
    window: { seconds: windowSeconds },
    connectSeconds,
    agentsHeld: held,
    agentsWithFailures: agents.filter((a) => a.failed > 0).length,
    heartbeatsPerSecond: agents.reduce((n, a) => n + a.heartbeatsInWindow, 0) / windowSeconds,
    heartbeats: heartbeats.summary(),
    events: {
      accepted,
      duplicates,
      acceptedPerSecond: accepted / windowSeconds,
      sent: sentEvents,
      owedAtEnd: eventAgents.filter((a) => a.owed !== null).length,
    },
    api: api.summary(),
    nodes: nodes.map((node, i) => ({
      agentUrl: node.agentUrl,
      heartbeats: perNode[i]!.heartbeats.summary(),
      eventsAccepted: perNode[i]!.accepted,
      api: perNode[i]!.api.summary(),
      killed: i === killedNode,
    })),
    failover:
      killedNode === null
        ? null
        : {
            killedAtSecond: Math.round((killedAt - start) / 1000),
            agentsOnKilledNode,
            reconnected: reconnectSeconds.length,
            reconnectSecondsMax: sortedReconnect.at(-1) ?? null,
            reconnectSecondsP99: sortedReconnect[Math.floor(sortedReconnect.length * 0.99)] ?? null,
          },
    sent: eventAgents.map((a, i) => ({ computerId: a.identity.computerId, firstSeq: firstSeqs[i]!, lastSeq: a.seq })),
  };
}
