import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { bearer, call } from './manager-harness.js';

const bin = new URL('../../packages/platform-manager/bin/bulwark-manager.js', import.meta.url).pathname;
const run = promisify(execFile);

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly consoleUrl: string;
  readonly fingerprint: string;
  readonly password: string | null;
}

/** Starts the real `bulwark-manager` on free loopback ports and waits for its banner. */
async function startProcess(dataDir: string): Promise<Started> {
  const child = spawn(
    process.execPath,
    [bin, '--data-dir', dataDir, '--console-port', '0', '--agent-port', '0', '--listen-address', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/CA SHA-256:.*\n[\s\S]*\n\n/.test(output)) resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`bulwark-manager exited with ${code}:\n${output}`)));
  });
  const consoleUrl = /console\/API:\s+(https:\/\/\S+)/.exec(output)?.[1];
  const fingerprint = /CA SHA-256:\s+(\S+)/.exec(output)?.[1];
  assert.ok(consoleUrl && fingerprint, output);
  const password = /password: (\S+)/.exec(output)?.[1] ?? null;
  return { child, output: () => output, consoleUrl, fingerprint, password };
}

function stop(child: ChildProcess): Promise<number | string | null> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
    child.kill('SIGTERM');
  });
}

describe('the bulwark-manager process', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bulwark-manager-process-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('first start prints URLs, the CA fingerprint and the admin password once; logs keep no secrets; SIGTERM stops it', async () => {
    const first = await startProcess(dataDir);
    try {
      assert.ok(first.password, 'first start shows the initial password');
      assert.match(first.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const caPem = await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8');
      assert.equal(((await stat(join(dataDir, 'pki', 'ca.key'))).mode & 0o777).toString(8), '600');

      const created = await run(process.execPath, [
        bin,
        'create-api-key',
        '--role',
        'administrator',
        '--name',
        'ops',
        '--json',
        '--data-dir',
        dataDir,
      ]);
      const { key, role } = JSON.parse(created.stdout) as { key: string; role: string };
      assert.equal(role, 'administrator');
      const me = await call(`${first.consoleUrl}/api/me`, { headers: bearer(key), ca: caPem });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.json.name, 'ops');

      const login = await call(`${first.consoleUrl}/api/sessions`, {
        body: { username: 'admin', password: first.password },
        ca: caPem,
      });
      assert.equal(login.status, 200, login.text);
      const session = String(login.headers['set-cookie']).split(';')[0]!.split('=')[1]!;
      await call(`${first.consoleUrl}/api/me`, { headers: { cookie: `bulwark_session=${session}` }, ca: caPem });

      assert.equal(await stop(first.child), 0);
      const log = first.output();
      assert.ok(log.includes('"msg":"incoming request"') || log.includes('"level"'), 'structured JSON logs');
      assert.equal(log.split(first.password).length - 1, 1, 'the password appears once, in the banner');
      assert.ok(!log.includes(key), 'the API key is not logged');
      assert.ok(!log.includes(session), 'the session token is not logged');
      assert.ok(!log.includes(login.json.csrfToken), 'the CSRF token is not logged');
    } finally {
      first.child.kill('SIGKILL');
    }

    const second = await startProcess(dataDir);
    try {
      assert.equal(second.password, null, 'the password is shown only on the first start');
      assert.equal(second.fingerprint, first.fingerprint, 'the CA is kept across restarts');
    } finally {
      assert.equal(await stop(second.child), 0, second.output());
    }
  });

  test('bad arguments exit 2 with usage', async () => {
    await assert.rejects(
      run(process.execPath, [bin, '--console-port', 'x']),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr, /--console-port must be a port number/);
        assert.match(error.stderr, /Usage:/);
        return true;
      },
    );
  });
});
