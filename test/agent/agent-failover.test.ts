// An agent activated with two manager nodes of one cluster (one PostgreSQL database, one CA through
// the cluster key) keeps delivering when the node it uses stops: it moves to the other node at
// once, and every event arrives exactly once.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { activateAgent, readAgentStatus } from '@bulwark/platform-agent';
import type { RunningManager } from '@bulwark/platform-manager';
import { createTestDatabase } from '../manager/postgres-database.js';
import { type AgentProcess, spawnAgentProcess } from './agent-process.js';
import { clusterOfNodes, storedSeqs, until as untilAgent } from './cluster-of-nodes.js';

const postgresUrl = process.env.BULWARK_TEST_POSTGRES_URL;
const skip = postgresUrl ? false : 'set BULWARK_TEST_POSTGRES_URL: a cluster of manager nodes needs PostgreSQL';
if (skip) console.log(`# skipping agent failover: ${skip}`);

const system = { kind: 'system' as const, id: null, name: 'failover test' };
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let nodeA: RunningManager | undefined;
let nodeB: RunningManager | undefined;
let agent: AgentProcess | undefined;
let agentDir: string;

const cluster = clusterOfNodes('failover');
const { tempDir, node } = cluster;

before(async () => {
  if (skip) return;
  database = await createTestDatabase(postgresUrl as string);
  nodeA = await node(tempDir('a'), database.url);
  nodeB = await node(tempDir('b'), database.url);
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

it('moves to the other node when its node stops, and delivers every event exactly once', { skip }, async () => {
  const a = nodeA as RunningManager;
  const b = nodeB as RunningManager;
  assert.equal(a.caFingerprint, b.caFingerprint, 'the nodes share the cluster CA');
  const token = await a.services.activationTokens.create({}, system);
  assert.ok(token.ok);
  const activated = await activateAgent({
    managerUrl: a.agentUrl,
    alternateManagerUrls: [b.agentUrl],
    token: token.value.token,
    dataDir: agentDir,
    hostname: 'failover-host',
  });
  assert.ok(activated.ok, JSON.stringify(activated));
  const { computerId } = activated;
  assert.deepEqual(readAgentStatus(agentDir).alternateManagerUrls, [new URL(b.agentUrl).origin]);

  agent = spawnAgentProcess('daemon', agentDir, 200);
  await agent.waitFor(200);
  await until('the first 200 events stored', async () => (await storedSeqs(b, computerId)).length >= 200);
  assert.equal(readAgentStatus(agentDir).managerNode, new URL(a.agentUrl).origin, 'the agent uses its first node');

  // Node A goes away; events keep coming and must reach the cluster through node B.
  await a.stop();
  nodeA = undefined;
  agent.emitMore(300);
  await agent.waitFor(500);
  await until('all 500 events stored through node B', async () => (await storedSeqs(b, computerId)).length >= 500);

  const seqs = await storedSeqs(b, computerId);
  assert.equal(new Set(seqs).size, seqs.length, 'no event stored twice');
  const stored = new Set(seqs);
  assert.deepEqual(
    agent.emitted.filter((seq) => !stored.has(seq)),
    [],
    'every emitted event arrived',
  );
  await until(
    'the agent reports node B',
    async () => readAgentStatus(agentDir).managerNode === new URL(b.agentUrl).origin,
  );
  // And it keeps its configuration current through node B.
  await until('the computer managed through node B', async () => {
    const computer = await b.services.computers.get(computerId);
    return computer.ok && computer.value.status === 'managed';
  });
});
