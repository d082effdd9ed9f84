import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestPki, type FakeManager, startFakeManager, type TestPki } from './fake-manager.js';

const BIN = new URL('../../packages/platform-agent/bin/bulwark-agent.js', import.meta.url).pathname;
let pki: TestPki;
let manager: FakeManager;
let dir: string;

before(async () => {
  pki = await createTestPki();
  manager = await startFakeManager(pki);
  dir = mkdtempSync(join(tmpdir(), 'bulwark-agent-cli-'));
});
after(async () => {
  await manager.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI without blocking this process, which serves the fake manager. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, BULWARK_AGENT_DATA_DIR: dir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Socket inodes of a process, from its fd table. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  return inodes;
}

/** inode → state for every socket in a /proc/<pid>/net table (state 0A is LISTEN for TCP). */
function socketTable(pid: number, table: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length > 9 && fields[9] && fields[3]) rows.set(fields[9], fields[3]);
  }
  return rows;
}

describe('bulwark-agent command line', () => {
  it('activate, run (with no listening socket), status, graceful SIGTERM, deactivate', async () => {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, pki.caPem);
    const usage = await cli('activate', '--token', 'x'.repeat(10));
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--manager/);

    const activated = await cli(
      'activate',
      '--manager',
      manager.url,
      '--token',
      manager.token,
      '--ca',
      caFile,
      '--json',
    );
    assert.equal(activated.code, 0, activated.stderr);
    const answer = JSON.parse(activated.stdout) as { ok: boolean; computerId: string };
    assert.equal(answer.computerId, manager.computerId);
    assert.doesNotMatch(activated.stdout + activated.stderr, new RegExp(manager.token), 'the token is not echoed');

    const daemon = spawn(process.execPath, [BIN, 'run', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    daemon.stdout.on('data', (c: Buffer) => {
      logs += c.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
    try {
      await manager.until(() => manager.heartbeats.length >= 1 && manager.wakeCalls.count >= 1, 30_000);
      const pid = daemon.pid!;
      const mine = socketInodes(pid);
      const tcp = new Map([...socketTable(pid, 'tcp'), ...socketTable(pid, 'tcp6')]);
      const udp = new Map([...socketTable(pid, 'udp'), ...socketTable(pid, 'udp6')]);
      const connected = [...mine].filter((inode) => tcp.get(inode) === '01');
      assert.ok(connected.length >= 1, 'the check sees the agent’s own outgoing connections');
      const listening = [...mine].filter((inode) => tcp.get(inode) === '0A' || udp.has(inode));
      assert.deepEqual(listening, [], 'the agent has no listening or bound socket');

      const status = await cli('status', '--json');
      assert.equal(status.code, 0, status.stderr);
      const report = JSON.parse(status.stdout) as { daemon: string; computerId: string; lastContactAt: string | null };
      assert.equal(report.daemon, 'running');
      assert.equal(report.computerId, manager.computerId);
      assert.ok(report.lastContactAt);
      const human = await cli('status');
      assert.match(human.stdout, /daemon: +running/);

      daemon.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      daemon.kill('SIGKILL');
    }
    const lines = logs.trim().split('\n');
    for (const line of lines) JSON.parse(line); // every log line is JSON
    assert.ok(lines.some((l) => l.includes('"agent stopped"')));
    assert.doesNotMatch(logs, /PRIVATE KEY|BEGIN CERTIFICATE/);
    assert.equal((JSON.parse((await cli('status', '--json')).stdout) as { daemon: string }).daemon, 'stopped');

    const deactivated = await cli('deactivate', '--json');
    assert.equal(deactivated.code, 0, deactivated.stdout + deactivated.stderr);
    assert.equal(manager.computerId, null);
    const after = await cli('status');
    assert.equal(after.code, 3);
    assert.match(after.stdout, /not activated/);
  });
});
