// The real agent against the real manager: activation with a pinned CA fingerprint, Managed
// (Online) with the inventory stored, SIGKILL of the agent during uploads, and a manager outage of minutes (150 s)
// while events keep coming. Nothing emitted may be lost, nothing may be stored twice.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { activateAgent, readAgentStatus } from '@bulwark/platform-agent';
import { type RunningManager, startManager } from '@bulwark/platform-manager';
import { type AgentProcess, spawnAgentProcess } from './agent-process.js';

const system = { kind: 'system' as const, id: null, name: 'agent system test' };
let managerDir: string;
let agentDir: string;
let manager: RunningManager;
let agentPort: number;
let consolePort: number;

async function start(): Promise<RunningManager> {
  return startManager({ dataDir: managerDir, consolePort, agentPort, listenAddress: '127.0.0.1', logger: false });
}

before(async () => {
  managerDir = mkdtempSync(join(tmpdir(), 'bulwark-e2e-manager-'));
  agentDir = mkdtempSync(join(tmpdir(), 'bulwark-e2e-agent-'));
  consolePort = 0;
  agentPort = 0;
  manager = await start();
  agentPort = Number(new URL(manager.agentUrl).port);
  consolePort = Number(new URL(manager.consoleUrl).port);
});
after(async () => {
  await manager?.stop();
  rmSync(managerDir, { recursive: true, force: true });
  rmSync(agentDir, { recursive: true, force: true });
});

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      const status = readAgentStatus(agentDir);
      throw new Error(`timed out waiting for: ${what}; agent: ${JSON.stringify(status).slice(0, 1500)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every event the manager stored for the computer, by seq (ingest ignores a repeated seq). */
async function storedEvents(computerId: string): Promise<{ seq: number; module: string }[]> {
  const all: { seq: number; module: string }[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await manager.services.events.query({ computerId, limit: 500, ...(cursor ? { cursor } : {}) });
    assert.ok(page.ok);
    all.push(...page.value.items.map((e) => ({ seq: e.seq, module: e.module })));
    if (!page.value.nextCursor) return all;
    cursor = page.value.nextCursor;
  }
}

function assertExactlyOnce(events: { seq: number; module: string }[], emitted: readonly number[]) {
  const seqs = events.map((e) => e.seq).sort((a, b) => a - b);
  assert.equal(new Set(seqs).size, seqs.length, 'no seq stored twice');
  const stored = new Set(seqs);
  const missing = emitted.filter((seq) => !stored.has(seq));
  assert.deepEqual(missing, [], 'every emitted event arrived');
  assert.deepEqual(
    seqs,
    Array.from({ length: seqs.length }, (_, i) => i + 1),
    'seqs 1..n without a gap',
  );
}

describe('agent with the real manager', () => {
  let computerId: string;
  let agent: AgentProcess | undefined;
  after(async () => {
    await agent?.kill();
  });

  it('activates with the pinned CA fingerprint and becomes Managed (Online) with its inventory stored', async () => {
    const token = await manager.services.activationTokens.create({}, system);
    assert.ok(token.ok);
    const activated = await activateAgent({
      managerUrl: manager.agentUrl,
      token: token.value.token,
      caFingerprint: manager.caFingerprint,
      dataDir: agentDir,
      hostname: 'e2e-host',
    });
    assert.equal(activated.ok, true, JSON.stringify(activated));
    if (!activated.ok) return;
    computerId = activated.computerId;

    agent = spawnAgentProcess('daemon', agentDir, 0);
    await until('computer managed with its configuration applied and inventory stored', async () => {
      const computer = await manager.services.computers.get(computerId);
      assert.ok(computer.ok);
      const inventory = await manager.services.inventory.get(computerId);
      return (
        computer.value.status === 'managed' &&
        computer.value.appliedConfigurationVersion === computer.value.configurationVersion &&
        inventory.ok
      );
    });
    const computer = await manager.services.computers.get(computerId);
    assert.ok(computer.ok);
    assert.equal(computer.value.hostname, 'e2e-host');
    const inventoryStatus = computer.value.modules.find((m) => m.id === 'inventory');
    assert.equal(inventoryStatus?.state, 'on');
    const inventory = await manager.services.inventory.get(computerId);
    assert.ok(inventory.ok);
    assert.ok(JSON.stringify(inventory.value).includes('"uid":0'), 'root is among the users');
  });

  it('loses and duplicates nothing when the agent is killed with SIGKILL during uploads', async () => {
    assert.ok(agent);
    agent.emitMore(20_000);
    // Kill while batches are on their way: some stored, some not yet.
    await until('uploads under way', async () =>
      (await storedEvents(computerId)).some((e) => e.module === 'crash-test'),
    );
    await agent.kill();
    const emittedBefore = [...agent.emitted];
    const storedAtKill = (await storedEvents(computerId)).filter((e) => e.module === 'crash-test').length;
    assert.ok(
      storedAtKill < 2000,
      `the kill came after the upload finished (${storedAtKill}); the test proves nothing`,
    );

    agent = spawnAgentProcess('daemon', agentDir, 0);
    await until('all events emitted before the kill stored', async () => {
      const stored = new Set((await storedEvents(computerId)).map((e) => e.seq));
      return emittedBefore.every((seq) => stored.has(seq));
    });
    await until('spool drained', async () => {
      const computer = await manager.services.computers.get(computerId);
      return computer.ok && (await storedEvents(computerId)).length >= Math.max(...emittedBefore);
    });
    assertExactlyOnce(await storedEvents(computerId), emittedBefore);
  });

  it('keeps events produced while the manager is down for minutes and delivers them once when it is back', async () => {
    assert.ok(agent);
    await manager.stop();
    // Long enough that the agent's upload and heartbeat backoff reach their 60 s cap.
    const outageMs = Number(process.env.BULWARK_TEST_OUTAGE_SECONDS ?? 150) * 1000;
    const outageEnds = Date.now() + outageMs;
    let emittedDuringOutage = 0;
    while (Date.now() < outageEnds) {
      const already = agent.emitted.length;
      agent.emitMore(100);
      await agent.waitFor(already + 100);
      emittedDuringOutage += 100;
      await new Promise((r) => setTimeout(r, Math.min(15_000, Math.max(0, outageEnds - Date.now()))));
    }
    assert.ok(emittedDuringOutage >= 500, `events kept coming during the outage (${emittedDuringOutage})`);
    manager = await start();
    const emitted = [...agent.emitted];
    await until(
      'events from the outage stored',
      async () => {
        const stored = new Set((await storedEvents(computerId)).map((e) => e.seq));
        return emitted.every((seq) => stored.has(seq));
      },
      // The backoff is capped at 60 s (full jitter), so the first retry after the return comes within a minute.
      120_000,
    );
    assertExactlyOnce(await storedEvents(computerId), emitted);
    const computer = await manager.services.computers.get(computerId);
    assert.ok(computer.ok);
    assert.equal(computer.value.status, 'managed');
  });
});
