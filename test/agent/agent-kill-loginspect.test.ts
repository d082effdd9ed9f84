// SIGKILL of the real agent while a log file grows, at the moments that used to duplicate or
// lose lines: right after a commit of events, and with events queued but not committed. Every
// line must reach the manager exactly once, told apart by its content (a repeated line would
// come with a new seq, which the manager's dedupe cannot see).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { activateAgent, EventSpool } from '@bulwark/platform-agent';
import type { AgentEvent } from '@bulwark/protocol';
import { createTestPki, type FakeManager, makeConfiguration, startFakeManager, type TestPki } from './fake-manager.js';

const CHILD = new URL('./fixtures/loginspect-agent-child.ts', import.meta.url).pathname;
const LINES = 5000;
/** Where each run kills itself; see the fixture. Mid-poll batch commits come every 500 events. */
const PLANS = ['commit:100', 'emit:250', 'commit:500', 'emit:37', 'commit:1', 'emit:501'];

let work: string;
let pki: TestPki;
let manager: FakeManager;
before(async () => {
  work = mkdtempSync(join(tmpdir(), 'bulwark-kill-loginspect-'));
  pki = await createTestPki();
  manager = await startFakeManager(pki);
});
after(async () => {
  await manager.close();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  readonly child: ChildProcess;
  /** Resolves once the agent runs (starting takes seconds on a busy machine: lines wait for it). */
  readonly started: Promise<void>;
  readonly exited: Promise<string>;
}

function run(dataDir: string, logDir: string, plan: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, logDir, plan], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)),
  );
  const started = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('started')) resolve();
    });
    void exited.then((how) => reject(new Error(`the agent ended before it started (${how})`)));
  });
  started.catch(() => {}); // only a run that is waited for must have started
  return { child, started, exited };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const seqOf = (e: AgentEvent) => /seq=(\d+)/.exec(String(e.details?.fullLog))?.[1];

describe('SIGKILL of the agent while a log file grows', () => {
  it('every line reaches the manager once: no line missing, none doubled', async () => {
    const dataDir = join(work, 'agent');
    const logDir = join(work, 'logs');
    mkdirSync(logDir);
    const log = join(logDir, 'app.log');
    writeFileSync(log, '');
    const activated = await activateAgent({ managerUrl: manager.url, token: manager.token, caPem: pki.caPem, dataDir });
    assert.equal(activated.ok, true);
    manager.configuration = makeConfiguration(manager.computerId as string, {
      loginspect: {
        enabled: true,
        configuration: {
          minimumLevel: 5,
          sources: { files: [log], journald: false },
          builtInGroups: [],
          custom: [
            {
              id: 'seq',
              decodersXml: '',
              rulesXml:
                '<group name="test,"><rule id="110100" level="7"><match>seq=</match><description>line</description></rule></group>',
            },
          ],
          rejectedRules: [],
        },
      },
    });
    const lines = () => [...manager.events.values()].filter((e) => e.type === 'rule-match');

    // First start: the file is followed from its end, so one line must be through (its position
    // committed) before the kills begin.
    const first = run(dataDir, logDir, 'none');
    await until('the agent configured', () =>
      manager.heartbeats.some((h) => h.modules.some((m) => m.id === 'loginspect' && m.state === 'on')),
    );
    appendFileSync(log, 'seq=0 warm-up\n');
    await until('the warm-up line', () => lines().length === 1);
    first.child.kill('SIGKILL');
    await first.exited;

    let written = 0;
    const write = (n: number) => {
      const end = Math.min(LINES, written + n);
      let text = '';
      while (written < end) text += `seq=${++written} of the growing log\n`;
      if (text !== '') appendFileSync(log, text);
    };
    for (const plan of PLANS) {
      const { started, exited } = run(dataDir, logDir, plan);
      await started;
      let ended: string | undefined;
      void exited.then((how) => {
        ended = how;
      });
      // Lines keep coming until the run has killed itself at its moment.
      while (ended === undefined) {
        assert.ok(written < LINES, `the run ${plan} never reached its moment`);
        write(60);
        await until(`${plan} to act`, () => ended !== undefined, 100).catch(() => {});
      }
      assert.equal(ended, 'SIGKILL', `the run ${plan} ended by its own kill`);
    }
    write(LINES);

    const last = run(dataDir, logDir, 'none');
    try {
      await until(`all ${LINES + 1} lines at the manager`, () => lines().length >= LINES + 1, 120_000);
      // Sent and acknowledged: nothing left that could still arrive twice.
      await until('the spool empty', () => {
        const spool = EventSpool.open(join(dataDir, 'spool.db'));
        try {
          return spool.counters().pendingEvents === 0;
        } finally {
          spool.close();
        }
      });
    } finally {
      last.child.kill('SIGTERM');
      await last.exited;
    }
    const seen = new Map<string, number>();
    for (const e of lines()) seen.set(seqOf(e) ?? '?', (seen.get(seqOf(e) ?? '?') ?? 0) + 1);
    const doubled = [...seen].filter(([, n]) => n > 1).map(([s]) => s);
    const missing = Array.from({ length: LINES + 1 }, (_, i) => String(i)).filter((s) => !seen.has(s));
    assert.deepEqual(doubled, [], 'no line twice');
    assert.deepEqual(missing, [], 'no line missing');
    assert.equal(lines().length, LINES + 1);
  });
});
