// The real agent against the real manager: activation with a pinned CA fingerprint, Managed
// (Online) with the inventory stored, SIGKILL of the agent while the manager holds its answer to an
// upload, and a manager outage of minutes (150 s) while events keep coming. Nothing emitted may be
// lost, nothing may be stored twice.
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

type Ingest = RunningManager['services']['events']['ingest'];

/**
 * Runs `after` once the manager stored (or refused) an uploaded batch and before it answers the
 * agent; `after` may hold the answer by not resolving. Returns a function that removes the hook.
 */
function interceptIngest(
  after: (batch: Parameters<Ingest>[1], result: Awaited<ReturnType<Ingest>>) => Promise<void>,
): () => void {
  const events = manager.services.events;
  const real = events.ingest;
  events.ingest = async (computerId, batch) => {
    const result = await real(computerId, batch);
    await after(batch, result);
    return result;
  };
  return () => {
    events.ingest = real;
  };
}

async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
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

  it('loses and duplicates nothing when the agent is killed with SIGKILL during an upload', async () => {
    assert.ok(agent?.running, 'the agent of the previous test runs');
    const emittedAlready = agent.emitted.length;
    // The manager stores the first batch of this test's events and holds its answer: the agent is
    // killed while that upload is in flight, which is the worst moment (stored, not acknowledged).
    let releaseAnswer = () => {};
    const answerHeld = new Promise<void>((resolve) => {
      releaseAnswer = resolve;
    });
    let heldBatch: number[] = [];
    let held = () => {};
    const batchHeld = new Promise<void>((resolve) => {
      held = resolve;
    });
    const restoreIngest = interceptIngest(async (batch) => {
      if (heldBatch.length > 0 || !batch.some((e) => e.module === 'crash-test')) return;
      heldBatch = batch.map((e) => e.seq);
      held();
      await answerHeld;
    });
    let duplicatesAfterRestart = 0;
    try {
      agent.emitMore(3000);
      await withDeadline(batchHeld, 60_000, 'an upload of the new events reaching the manager');
      // The upload loop waits for the held answer, so the rest stays in the agent's spool only.
      await agent.waitFor(emittedAlready + 3000);
      await agent.kill();
      const storedAtKill = new Set((await storedEvents(computerId)).map((e) => e.seq));
      assert.ok(
        heldBatch.every((seq) => storedAtKill.has(seq)),
        'the held batch was stored before the kill',
      );
      const emittedBefore = [...agent.emitted];
      const onlyInSpool = emittedBefore.filter((seq) => !storedAtKill.has(seq));
      assert.ok(onlyInSpool.length > 0, 'events emitted after the held batch were in the spool only at the kill');

      restoreIngest();
      releaseAnswer(); // the answer now goes to a dead connection
      const restoreCount = interceptIngest(async (_batch, result) => {
        if (result.ok) duplicatesAfterRestart += result.value.duplicates;
      });
      try {
        agent = spawnAgentProcess('daemon', agentDir, 0);
        await until('all events emitted before the kill stored', async () => {
          const stored = new Set((await storedEvents(computerId)).map((e) => e.seq));
          return emittedBefore.every((seq) => stored.has(seq));
        });
      } finally {
        restoreCount();
      }
      // The agent never heard that its batch was stored, so it sent it again; the manager kept one copy.
      assert.equal(duplicatesAfterRestart, heldBatch.length, 'the unacknowledged batch was resent, once');
      assertExactlyOnce(await storedEvents(computerId), emittedBefore);
    } finally {
      restoreIngest();
      releaseAnswer();
    }
  });

  it('keeps events produced while the manager is down for minutes and delivers them once when it is back', async () => {
    // When the previous test failed after its SIGKILL, its agent is dead: this test needs a live one
    // (reusing the dead one made it fail with "ended (signal SIGKILL)", a report of the other test's failure).
    if (!agent?.running) agent = spawnAgentProcess('daemon', agentDir, 0);
    await manager.stop();
    // Long enough that the agent's upload and heartbeat backoff reach their 60 s cap.
    const outageMs = Number(process.env.BULWARK_TEST_OUTAGE_SECONDS ?? 150) * 1000;
    const outageStarted = Date.now();
    const emittedBefore = agent.emitted.length;
    // Ten rounds of 100 events spread over the outage: events keep coming while the backoff grows.
    // A count, not a time, decides how many events the outage sees, so a slow machine emits as many.
    const rounds = 10;
    for (let round = 1; round <= rounds; round++) {
      agent.emitMore(100);
      await agent.waitFor(emittedBefore + round * 100);
      const roundEnds = outageStarted + (round * outageMs) / rounds;
      await new Promise((r) => setTimeout(r, Math.max(0, roundEnds - Date.now())));
    }
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
