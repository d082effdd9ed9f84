import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

const managerBin = new URL('../../packages/platform-manager/bin/bulwark-manager.js', import.meta.url).pathname;
const cliBin = new URL('../../packages/platform-manager/bin/bulwark.js', import.meta.url).pathname;
const run = promisify(execFile);

// The README's steps with the real binaries: BULWARK_DATA_DIR names the store for the manager and
// for create-api-key alike, and the CLI trusts the manager by the fingerprint it prints.
describe('bulwark-manager and bulwark, as the README uses them', () => {
  let root: string;
  let dataDir: string;
  let child: ChildProcess | undefined;
  let banner = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'bulwark-cli-manager-'));
    dataDir = join(root, 'manager');
  });
  after(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(root, { recursive: true, force: true });
  });

  test('create-api-key before any manager ran there is refused; then the key works with --ca-fingerprint', async () => {
    const env = { ...process.env, BULWARK_DATA_DIR: dataDir };
    await assert.rejects(
      run(process.execPath, [managerBin, 'create-api-key', '--role', 'administrator'], { env }),
      (error: { code: number; stderr: string; stdout: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, new RegExp(`no manager store in ${dataDir}`));
        assert.equal(error.stdout, '');
        return true;
      },
    );

    child = spawn(process.execPath, [managerBin, '--console-port', '0', '--agent-port', '0'], {
      env: { ...env, BULWARK_LISTEN_ADDRESS: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => {
        banner += chunk.toString();
        if (/CA SHA-256:[\s\S]*\n\n/.test(banner)) resolve();
      });
      child!.once('exit', (code) => reject(new Error(`bulwark-manager exited with ${code}: ${banner}`)));
    });
    const consoleUrl = /console\/API:\s+(https:\/\/\S+)/.exec(banner)?.[1] ?? '';
    const fingerprint = /CA SHA-256:\s+(\S+)/.exec(banner)?.[1] ?? '';
    assert.ok(consoleUrl.startsWith('https://127.0.0.1:') && fingerprint !== '', banner);
    assert.match(banner, new RegExp(`create-api-key --role administrator --data-dir ${dataDir}`));

    const created = await run(process.execPath, [managerBin, 'create-api-key', '--role', 'administrator', '--json'], {
      env,
    });
    const { key } = JSON.parse(created.stdout) as { key: string };
    const listed = await run(
      process.execPath,
      [cliBin, '--manager', consoleUrl, '--ca-fingerprint', fingerprint, '--json', 'computers', 'list'],
      { env: { ...process.env, BULWARK_API_KEY: key } },
    );
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });
});
