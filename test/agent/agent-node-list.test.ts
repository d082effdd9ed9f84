// An agent activated with one manager node learns of a node that joins the cluster later (the
// heartbeat answer names the live nodes), keeps the list, and moves to the new node when its own
// stops: every event arrives exactly once.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { activateAgent, readAgentStatus } from '@bulwark/platform-agent';
import type { RunningManager } from '@bulwark/platform-manager';
import { createTestDatabase } from '../manager/postgres-database.js';
import { type AgentProcess, spawnAgentProcess } from './agent-process.js';
import { clusterOfNodes, storedSeqs, until as untilAgent } from './cluster-of-nodes.js';

const postgresUrl = process.env.BULWARK_TEST_POSTGRES_URL;
const skip = postgresUrl ? false : 'set BULWARK_TEST_POSTGRES_URL: a cluster of manager nodes needs PostgreSQL';
if (skip) console.log(`# skipping the agent's list of manager nodes: ${skip}`);

const system = { kind: 'system' as const, id: null, name: 'node list test' };
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let nodeA: RunningManager | undefined;
let nodeB: RunningManager | undefined;
let agent: AgentProcess | undefined;
let agentDir: string;

const cluster = clusterOfNodes('nodelist', {
  // Live nodes are re-read every half second, so the new node is named at the next heartbeat.
  nodeLeaseRenewMs: 500,
});
const { tempDir, node } = cluster;

before(async () => {
  if (skip) return;
  database = await createTestDatabase(postgresUrl as string);
  nodeA = await node(tempDir('a'), database.url);
  agentDir = tempDir('agent');
});
after(async () => {
  await agent?.kill();
  await nodeB?.stop();
  await nodeA?.stop();
  await database?.drop();
  cluster.removeDirs();
});

const until = (what: string, predicate: () => Promise<boolean>, timeoutMs?: number) =>
  untilAgent(what, agentDir, predicate, timeoutMs);

it('learns of a node that joined after its activation and fails over to it, losing and doubling nothing', {
  skip,
}, async () => {
  const a = nodeA as RunningManager;
  const token = await a.services.activationTokens.create({}, system);
  assert.ok(token.ok);
  const activated = await activateAgent({
    managerUrl: a.agentUrl,
    token: token.value.token,
    dataDir: agentDir,
    hostname: 'node-list-host',
  });
  assert.ok(activated.ok, JSON.stringify(activated));
  const { computerId } = activated;
  assert.equal(readAgentStatus(agentDir).alternateManagerUrls, undefined, 'activated with node A alone');
  // Heartbeats every 5 s (the least the platform allows), so the agent hears of node B soon.
  const interval = await a.services.settings.set(
    { kind: 'computer', id: computerId },
    'platform.heartbeatIntervalSeconds',
    5,
    system,
  );
  assert.ok(interval.ok);

  agent = spawnAgentProcess('daemon', agentDir, 100);
  await agent.waitFor(100);
  await until('the first 100 events stored', async () => (await storedSeqs(a, computerId)).length >= 100);

  // Node B joins the cluster; node A names it in its next heartbeat answers.
  nodeB = await node(tempDir('b'), (database as { url: string }).url);
  const b = nodeB;
  const originA = new URL(a.agentUrl).origin;
  const originB = new URL(b.agentUrl).origin;
  await until('the agent keeps node B in its list', async () =>
    (readAgentStatus(agentDir).clusterManagerUrls ?? []).includes(originB),
  );
  assert.deepEqual(readAgentStatus(agentDir).clusterManagerUrls, [originA, originB]);
  assert.equal(readAgentStatus(agentDir).managerNode, originA, 'still on its first node');

  // Node A goes away; events keep coming and must reach the cluster through node B.
  await a.stop();
  nodeA = undefined;
  agent.emitMore(300);
  await agent.waitFor(400);
  await until(
    'all 400 events stored through node B',
    async () => (await storedSeqs(b, computerId)).length >= 400,
    30_000,
  );
  await until('the agent reports node B', async () => readAgentStatus(agentDir).managerNode === originB, 15_000);

  const seqs = await storedSeqs(b, computerId);
  assert.equal(new Set(seqs).size, seqs.length, 'no event stored twice');
  const stored = new Set(seqs);
  assert.deepEqual(
    agent.emitted.filter((seq) => !stored.has(seq)),
    [],
    'every emitted event arrived',
  );
  // Node A left the list cleanly: B names only itself now, and the agent keeps that (with A, its activation node).
  await until('the agent hears that node A left', async () => {
    const urls = readAgentStatus(agentDir).clusterManagerUrls ?? [];
    return urls.length === 1 && urls[0] === originB;
  });
});
