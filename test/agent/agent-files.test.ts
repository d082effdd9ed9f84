// The real agent process started with umask 000: every file it writes is 0600 all the same. Then a
// restart while the manager is down: status keeps the last contact of the previous run.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { activateAgent, readAgentStatus } from '@bulwark/platform-agent';
import { createTestPki, type FakeManager, startFakeManager } from './fake-manager.js';

const BIN = new URL('../../packages/platform-agent/bin/bulwark-agent.js', import.meta.url).pathname;

/** `bulwark-agent run` under umask 000, as a careless service manager or shell would start it. */
function runWithOpenUmask(dataDir: string) {
  const child = spawn('sh', ['-c', `umask 000; exec "${process.execPath}" "${BIN}" run --data-dir "${dataDir}"`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-10_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

async function until<T>(read: () => T, done: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what} did not happen: ${JSON.stringify(value).slice(0, 1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

describe('agent files', () => {
  let manager: FakeManager;
  let dir: string;

  before(async () => {
    manager = await startFakeManager(await createTestPki());
    dir = mkdtempSync(join(tmpdir(), 'bulwark-agent-files-'));
  });
  after(async () => {
    await manager.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with umask 000 the spool, status and every other file are private; a restart keeps the last contact', async () => {
    const activated = await activateAgent({ managerUrl: manager.url, token: manager.tokenWithCa, dataDir: dir });
    assert.ok(activated.ok, JSON.stringify(activated));
    const first = runWithOpenUmask(dir);
    let lastContact: string | null = null;
    try {
      await manager.until(() => manager.heartbeats.length >= 1, 30_000);
      const status = await until(
        () => readAgentStatus(dir),
        (s) => s.lastContactAt !== null,
        10_000,
        'a contact in the status',
      );
      lastContact = status.lastContactAt;
      const names = filesUnder(dir).map((p) => p.slice(dir.length + 1));
      for (const expected of ['spool.db', 'spool.db-wal', 'spool.db-shm', 'status.json', 'identity.json']) {
        assert.ok(names.includes(expected), `${expected} exists (files: ${names.join(', ')})`);
      }
      for (const path of filesUnder(dir)) {
        const mode = statSync(path).mode & 0o777;
        // The certificates are public by nature; nothing is ever writable by others.
        const publicCertificate = /(agent-cert|manager-ca)\.pem$/.test(path);
        assert.equal(mode & 0o022, 0, `${path} is mode ${mode.toString(8)}: writable by others`);
        if (!publicCertificate) assert.equal(mode, 0o600, `${path} is mode ${mode.toString(8)}, not 0600`);
      }
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0, first.output());
      // The agent goes on talking to the manager after its first contact (uploads, snapshots), so
      // the contact to keep is the last one it recorded before it stopped, not the first seen.
      const stopped = readAgentStatus(dir).lastContactAt;
      assert.ok(stopped !== null && lastContact !== null && stopped >= lastContact, `${stopped} after ${lastContact}`);
      lastContact = stopped;
    } finally {
      first.child.kill('SIGKILL');
    }

    // The manager is away: the restarted agent cannot reach it, and says when it last did.
    await manager.pause();
    const second = runWithOpenUmask(dir);
    try {
      const status = await until(
        () => readAgentStatus(dir),
        (s) => s.daemon === 'running' && s.lastError !== null,
        60_000,
        'the restarted agent reporting its failed heartbeat',
      );
      assert.equal(status.lastContactAt, lastContact);
      const text = await new Promise<string>((resolve) =>
        execFile(process.execPath, [BIN, 'status', '--data-dir', dir], (_e, stdout) => resolve(stdout)),
      );
      assert.match(text, new RegExp(`last contact: +${lastContact}`));
      assert.doesNotMatch(text, /last contact: +never/);
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
    }
  });
});
