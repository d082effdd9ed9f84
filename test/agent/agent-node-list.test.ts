// An agent activated with one manager node learns of a node that joins the cluster later (the
// heartbeat answer names the live nodes), keeps the list, and moves to the new node when its own
// stops: every event arrives exactly once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { activateAgent, readAgentStatus } from '@bulwark/platform-agent';
import { type RunningManager, startManager } from '@bulwark/platform-manager';
import { createTestDatabase } from '../manager/postgres-database.js';
import { type AgentProcess, spawnAgentProcess } from './agent-process.js';

const postgresUrl = process.env.BULWARK_TEST_POSTGRES_URL;
const skip = postgresUrl ? false : 'set BULWARK_TEST_POSTGRES_URL: a cluster of manager nodes needs PostgreSQL';
if (skip) console.log(`# skipping the agent's list of manager nodes: ${skip}`);

const system = { kind: 'system' as const, id: null, name: 'node list test' };
const clusterKey = 'node-list-test-cluster-key-0123456789abcdef';
const dirs: string[] = [];
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let nodeA: RunningManager | undefined;
let nodeB: RunningManager | undefined;
let agent: AgentProcess | undefined;
let agentDir: string;

const tempDir = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `bulwark-nodelist-${name}-`));
  dirs.push(dir);
  return dir;
};
const node = (dataDir: string, url: string) =>
  startManager({
    dataDir,
    databaseUrl: url,
    consolePort: 0,
    agentPort: 0,
    listenAddress: '127.0.0.1',
    logger: false,
    clusterKey,
    // Live nodes are re-read every half second, so the new node is named at the next heartbeat.
    nodeLeaseRenewMs: 500,
  });

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
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for: ${what}; agent: ${JSON.stringify(readAgentStatus(agentDir)).slice(0, 1500)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function storedSeqs(manager: RunningManager, computerId: string): Promise<number[]> {
  const seqs: number[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await manager.services.events.query({ computerId, limit: 500, ...(cursor ? { cursor } : {}) });
    assert.ok(page.ok);
    seqs.push(...page.value.items.filter((e) => e.module === 'crash-test').map((e) => e.seq));
    if (!page.value.nextCursor) return seqs.sort((x, y) => x - y);
    cursor = page.value.nextCursor;
  }
}

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
