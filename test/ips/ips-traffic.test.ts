/**
 * Real traffic between namespaces through the IPS agent module (engine, traffic runtime, NFQUEUE):
 * attacks are reset in prevent mode and pass with events in detect mode and in tap; benign
 * downloads arrive byte for byte; a stalled agent (SIGSTOP) never holds traffic past the deadline.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { managerModule } from '@bulwark/module-ips/manager';
import { PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { BUILT_IN_RULES } from '../../modules/ips/rules/built-in-rules.js';
import { readJsonLines } from '../support/netns-lab.js';
import {
  createIpsLab,
  type IpsLab,
  ipsSkipReason,
  LONG_URI_PATH,
  repoRoot,
  request,
  SQLI_PATH,
  wasAnswered,
  wasReset,
} from './ips-lab.js';

const skip = ipsSkipReason();
/** This file's NFQUEUE numbers: 124-127. */
const QUEUE = 124;
const DEADLINE_MS = 200;

type Event = { action: string; ruleId: string; details: Record<string, unknown> };

const uriRule = BUILT_IN_RULES.find((r) => r.detection.kind === 'http-limits');
const sqliRule = BUILT_IN_RULES.find((r) => /sql injection/i.test(r.name));

function configuration(mode: 'prevent' | 'detect', networkEngineMode: 'inline' | 'tap') {
  const settings = {
    ...(Value.Create(managerModule.settings) as never as Record<string, unknown>),
    enabled: true,
    mode,
  };
  const rules = [uriRule, sqliRule].flatMap((r) => (r ? [{ id: r.id, definition: r, overrides: {} }] : []));
  return {
    configuration: {
      enabled: true,
      configuration: managerModule.compile({
        computerId: 'lab',
        settings: settings as never,
        platform: {} as never,
        rules,
      }),
    },
    platform: {
      ...(Value.Create(PlatformSettings) as Record<string, unknown>),
      networkEngineMode,
      failDeadlineMilliseconds: DEADLINE_MS,
    },
  };
}

describe('IPS on real traffic between namespaces', { skip }, () => {
  let lab: IpsLab;
  let web: ChildProcess;
  let worker: ChildProcess;
  let read: ReturnType<typeof readJsonLines>;
  let applies = 0;
  let webRoot: string;
  let digest: string;
  const url = (path: string) => `http://${lab.aAddress}${path}`;

  const apply = async (mode: 'prevent' | 'detect', engine: 'inline' | 'tap') => {
    const n = ++applies;
    worker.stdin?.write(`${JSON.stringify(configuration(mode, engine))}\n`);
    const line = await read.waitFor((l) => l.applied === n, 60_000);
    assert.equal((line.status as { state: string }).state, 'on', JSON.stringify(line.status));
  };
  const eventAfter = (count: number, ruleId: string, action: string) =>
    read.waitFor((l) => {
      const e = l.event as Event | undefined;
      return read.lines.indexOf(l) >= count && e?.ruleId === ruleId && e.action === action;
    }, 20_000);

  before(async () => {
    assert.ok(uriRule && sqliRule, 'the built-in rules have an HTTP limits rule and a SQL injection rule');
    lab = createIpsLab(2);
    webRoot = mkdtempSync(join(tmpdir(), 'bwips-www-'));
    const blob = randomBytes(8 * 1024 * 1024);
    writeFileSync(join(webRoot, 'blob.bin'), blob);
    digest = createHash('sha256').update(blob).digest('hex');
    web = spawn(
      'ip',
      ['netns', 'exec', lab.a, 'python3', '-m', 'http.server', '80', '--bind', lab.aAddress, '--directory', webRoot],
      {
        stdio: 'ignore',
      },
    );
    worker = spawn('ip', ['netns', 'exec', lab.a, process.execPath, '--import', 'tsx', 'test/ips/agent-worker.ts'], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, BWIPS_QUEUE: String(QUEUE) },
    });
    read = readJsonLines(worker, { timedOut: (seen) => `worker timed out: ${JSON.stringify(seen.slice(-6))}` });
    await read.waitFor((l) => l.ready === true, 60_000);
    // The web server answers before anything is inspected.
    const deadline = Date.now() + 20_000;
    while (!wasAnswered(request(lab, lab.b, url('/')))) {
      assert.ok(Date.now() < deadline, 'python3 -m http.server did not answer');
    }
  });

  after(async () => {
    worker?.stdin?.end();
    await new Promise((resolve) => {
      if (!worker || worker.exitCode !== null) resolve(undefined);
      worker?.on('exit', resolve);
      setTimeout(() => worker?.kill('SIGKILL'), 10_000).unref();
    });
    web?.kill();
    lab?.destroy();
    if (webRoot) rmSync(webRoot, { recursive: true, force: true });
  });

  test('prevent, inline: attacks are reset with a Reset event; benign traffic arrives intact', async () => {
    await apply('prevent', 'inline');
    const count = read.lines.length;
    assert.ok(wasReset(request(lab, lab.b, url(SQLI_PATH))), 'the SQL injection is reset');
    assert.ok(wasReset(request(lab, lab.b, url(LONG_URI_PATH))), 'the 5,000-character URI is reset');
    const sqli = (await eventAfter(count, sqliRule!.id, 'Reset')).event as Event;
    assert.equal(sqli.details.destinationPort, 80);
    assert.equal(sqli.details.source, lab.bAddress);
    await eventAfter(count, uriRule!.id, 'Reset');
    assert.ok(wasAnswered(request(lab, lab.b, url('/'))));
    const file = join(webRoot, 'received.bin');
    const got = request(lab, lab.b, url('/blob.bin'), [], file);
    assert.equal(got.status, 200);
    assert.equal(
      createHash('sha256').update(readFileSync(file)).digest('hex'),
      digest,
      'the download is byte-for-byte intact',
    );
    rmSync(file);
  });

  test('detect mode: the attack passes and the event says Detect Only: Reset', async () => {
    await apply('detect', 'inline');
    const count = read.lines.length;
    assert.ok(wasAnswered(request(lab, lab.b, url(SQLI_PATH))));
    await eventAfter(count, sqliRule!.id, 'Detect Only: Reset');
  });

  test('tap: the attack passes and the event says Detect Only: Reset', async () => {
    await apply('prevent', 'tap');
    const count = read.lines.length;
    assert.ok(wasAnswered(request(lab, lab.b, url(LONG_URI_PATH))));
    await eventAfter(count, uriRule!.id, 'Detect Only: Reset');
  });

  test('a stalled agent (SIGSTOP) holds no request past the deadline: the kernel lets it through', async () => {
    await apply('prevent', 'inline');
    // ip netns exec execs node in place: the worker's pid is the child's.
    worker.kill('SIGSTOP');
    try {
      for (let i = 0; i < 3; i++) {
        const r = request(lab, lab.b, url('/'));
        assert.ok(wasAnswered(r), `request ${i} while the agent is stopped: ${JSON.stringify(r)}`);
        // Each queued packet waits at most the deadline; a request is a handful of packets.
        assert.ok(r.seconds < (20 * DEADLINE_MS) / 1000, `took ${r.seconds} s`);
      }
    } finally {
      worker.kill('SIGCONT');
    }
  });
});
