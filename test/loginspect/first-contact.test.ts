// The real agent daemon (in this process) with log inspection, against the real manager: after a
// restart, the agent's first heartbeat reaches the manager before log inspection replays the
// lines written while the agent was stopped. The issue saw one hostile line stop a restarting
// agent before it ever reached its manager; whatever the backlog costs now comes after.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { activateAgent, type RunningAgent, silentLogger, startAgent } from '@bulwark/platform-agent';
import type { HeartbeatRequest, ModuleStatus } from '@bulwark/protocol';
import { createLogInspectAgentFactory } from '../../modules/loginspect/agent/index.js';
import { bearer, call, startTestManager, type TestManager } from '../manager/manager-harness.js';

const system = { kind: 'system' as const, id: null, name: 'first contact test' };
let t: TestManager;
let work: string;
before(async () => {
  t = await startTestManager();
  work = mkdtempSync(join(tmpdir(), 'bulwark-loginspect-first-contact-'));
});
after(async () => {
  await t?.close();
  rmSync(work, { recursive: true, force: true });
});

async function until(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('after a restart the first heartbeat reaches the manager before the backlog of log lines is read', async () => {
  const { manager } = t;
  const dataDir = join(work, 'agent');
  const logDir = join(work, 'logs');
  mkdirSync(logDir);
  const log = join(logDir, 'app.log');
  writeFileSync(log, '');

  // Every heartbeat's log inspection status, as the manager received it.
  const seen: ModuleStatus[] = [];
  const computers = manager.services.computers;
  const real = computers.heartbeat;
  computers.heartbeat = async (computerId: string, request: HeartbeatRequest) => {
    const status = request.modules.find((m) => m.id === 'loginspect');
    if (status) seen.push(status);
    return real(computerId, request);
  };
  const lines = () => seen.at(-1)?.counters?.lines ?? -1;

  const token = await manager.services.activationTokens.create({}, system);
  assert.ok(token.ok);
  const activated = await activateAgent({
    managerUrl: manager.agentUrl,
    token: token.value.token,
    caFingerprint: manager.caFingerprint,
    dataDir,
    hostname: 'first-contact-host',
  });
  assert.ok(activated.ok, JSON.stringify(activated));
  const headers = bearer(t.keys.administrator);
  const ca = manager.caCertPem;
  for (const [key, value] of [
    ['loginspect.enabled', true],
    ['loginspect.sources', { files: [log], journald: false }],
  ] as const) {
    const put = await call(`${manager.consoleUrl}/api/computers/${activated.computerId}/settings/${key}`, {
      method: 'PUT',
      body: { value },
      headers,
      ca,
    });
    assert.equal(put.status, 200, put.text);
  }

  const start = async (): Promise<RunningAgent> => {
    const started = await startAgent({
      dataDir,
      log: silentLogger,
      factories: [createLogInspectAgentFactory({ pollMs: 50, readRoots: [logDir] })],
      wakeTimeoutSeconds: 2,
      maxHeartbeatIntervalMs: 300,
      uploaderIdleMs: 100,
    });
    assert.ok(started.ok, started.ok ? '' : started.message);
    return started.agent;
  };

  // First run: the configuration arrives, log inspection follows the file and reads one line.
  const first = await start();
  await until('log inspection on', () => seen.at(-1)?.state === 'on');
  appendFileSync(log, 'Dec  7 09:00:00 host app: first run\n');
  await until('the first line read', () => lines() === 1);
  await first.stop();

  // Written while the agent is stopped: the backlog the next start replays from its position.
  const BACKLOG = 300;
  appendFileSync(log, 'Dec  7 09:00:01 host app: backlog line\n'.repeat(BACKLOG));
  seen.length = 0;
  const second = await start();
  try {
    await until('the backlog read', () => lines() === BACKLOG);
  } finally {
    await second.stop();
    computers.heartbeat = real;
  }
  const firstHeartbeat = seen[0] as ModuleStatus;
  assert.equal(firstHeartbeat.state, 'on', 'the stored configuration was applied before the first heartbeat');
  assert.equal(firstHeartbeat.counters?.lines, 0, 'no backlog line was read before the first heartbeat');
  assert.match(firstHeartbeat.reason ?? '', /reading starts once the agent has reached its manager/);
});
