// The agent's data dir on a small tmpfs that fills up while log lines keep coming: the log
// source waits (nothing read is lost), an event that no source can offer again is counted and
// told, and once space returns every line reaches the manager exactly once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { activateAgent, jsonLogger, readAgentStatus, silentLogger, startAgent } from '@bulwark/platform-agent';
import type { AgentEvent } from '@bulwark/protocol';
import { createLogInspectAgentFactory } from '../../modules/loginspect/agent/index.js';
import { fillFileSystem } from '../../packages/platform-agent/src/spool/fill-file-system.js';
import { createTestPki, type FakeManager, makeConfiguration, startFakeManager, type TestPki } from './fake-manager.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root to mount a tmpfs for the data dir';

let work: string;
let dataDir: string;
let manager: FakeManager;
let pki: TestPki;

before(async () => {
  if (!root) return;
  work = mkdtempSync(join(tmpdir(), 'bulwark-disk-full-'));
  dataDir = join(work, 'data');
  mkdirSync(dataDir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dataDir]);
  pki = await createTestPki();
  manager = await startFakeManager(pki);
});
after(async () => {
  if (!root) return;
  await manager?.close();
  execFileSync('umount', ['-l', dataDir]);
  rmSync(work, { recursive: true, force: true });
});

async function until(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const LINES = 2000;
const everySeq = {
  id: 'seq',
  decodersXml: '',
  rulesXml:
    '<group name="test,"><rule id="110100" level="7"><match>seq=</match><description>sequence line</description></rule></group>',
};

const seqOf = (e: AgentEvent) => /seq=(\d+)/.exec(String(e.details?.fullLog))?.[1];

describe('a full disk under the agent', { skip }, () => {
  it('makes the log source wait and lose nothing; what cannot be offered again is counted, told and alerted', async () => {
    const logDir = join(work, 'logs');
    mkdirSync(logDir);
    const log = join(logDir, 'app.log');
    writeFileSync(log, '');
    const activated = await activateAgent({ managerUrl: manager.url, token: manager.token, caPem: pki.caPem, dataDir });
    assert.equal(activated.ok, true);
    const started = await startAgent({
      dataDir,
      log: process.env.BULWARK_TEST_LOG
        ? jsonLogger({ level: 'debug', write: (l) => process.stderr.write(`${l}\n`) })
        : silentLogger,
      factories: [createLogInspectAgentFactory({ pollMs: 100, readRoots: [logDir] })],
      wakeTimeoutSeconds: 2,
      uploaderIdleMs: 200,
    });
    if (!started.ok) throw new Error(started.message);
    const agent = started.agent;
    try {
      await manager.until(() => manager.computerId !== null && manager.heartbeats.length > 0);
      manager.configuration = makeConfiguration(manager.computerId as string, {
        loginspect: {
          enabled: true,
          configuration: {
            minimumLevel: 5,
            sources: { files: [log], journald: false },
            builtInGroups: [],
            custom: [everySeq],
            rejectedRules: [],
          },
        },
      });
      manager.wake();
      const loginspect = () => agent.status().modules.find((m) => m.id === 'loginspect');
      await until('log inspection on', () => loginspect()?.state === 'on');

      const filler = join(dataDir, 'filler');
      fillFileSystem(filler);
      appendFileSync(log, Array.from({ length: LINES }, (_, i) => `seq=${i + 1} line\n`).join(''));
      // The spool takes a batch in memory, cannot commit it, and refuses the next event: the source waits.
      await until('the log source waiting', () => Number(loginspect()?.counters?.recordsKeptBack ?? 0) > 0);
      assert.match(agent.status().spool.problem ?? '', /full/);
      assert.match(loginspect()?.reason ?? '', /waiting: .*full/);
      assert.match(readAgentStatus(dataDir).spool.problem ?? '', /full/, 'bulwark-agent status says so');
      // An event no source can offer again is lost: counted, in the heartbeat, told once there is room.
      const plain = { module: 'agent-test', type: 'tick', severity: 'medium' as const, summary: 'no way back' };
      assert.equal(agent.emit(plain).kind, 'full');
      assert.equal(agent.status().spool.droppedEvents, 1);
      await agent.heartbeatNow();
      const during = manager.heartbeats.at(-1);
      assert.equal(during?.spool.droppedEvents, 1);
      assert.match(during?.spool.problem ?? '', /full/);

      rmSync(filler);
      const lines = () => [...manager.events.values()].filter((e) => e.type === 'rule-match');
      await until(`all ${LINES} lines at the manager`, () => lines().length >= LINES);
      await until('the drop notice', () => [...manager.events.values()].some((e) => e.type === 'events-dropped'));
      await until('the spool empty (everything sent and acknowledged)', () => agent.status().spool.pendingEvents === 0);
      const seqs = lines().map(seqOf);
      assert.equal(seqs.length, LINES, 'no line twice');
      assert.deepEqual(
        [...seqs].sort((a, b) => Number(a) - Number(b)),
        Array.from({ length: LINES }, (_, i) => String(i + 1)),
        'every line once',
      );
      assert.equal(manager.duplicates, 0);
      const notice = [...manager.events.values()].find((e) => e.type === 'events-dropped');
      assert.deepEqual(notice?.details, { dropped: 1 });
      assert.equal(agent.status().spool.problem, undefined);
      assert.equal(loginspect()?.reason, undefined);
    } finally {
      await agent.stop();
    }
  });
});
