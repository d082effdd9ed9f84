import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningManager, startManager } from '../manager.js';
import { SYSTEM_ACTOR } from '../services/index.js';

// The CLI as a child process against the real manager (SQLite, real TLS) started in-process.

const BIN = resolve(import.meta.dirname, '../../bin/bulwark.js');

describe('bulwark against the real manager', () => {
  let dir: string;
  let manager: RunningManager;
  let env: Record<string, string>;

  function bulwark(args: string[], extraEnv: Record<string, string> = {}, stdin = '') {
    return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const child = execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...env, ...extraEnv }, timeout: 60_000 },
        (error, stdout, stderr) =>
          done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(stdin);
    });
  }

  async function json<T>(args: string[]): Promise<T> {
    const result = await bulwark(['--json', ...args]);
    assert.equal(result.code, 0, `bulwark ${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-cli-manager-'));
    manager = await startManager({
      dataDir: dir,
      consolePort: 0,
      agentPort: 0,
      listenAddress: '127.0.0.1',
      logger: false,
    });
    const created = await manager.services.apiKeys.create({ name: 'cli-test', role: 'administrator' }, SYSTEM_ACTOR);
    assert.ok(created.ok);
    env = {
      PATH: process.env.PATH ?? '',
      BULWARK_MANAGER: manager.consoleUrl,
      BULWARK_API_KEY: created.value.key,
      BULWARK_CA: join(dir, 'pki', 'ca.crt'),
    };
  });
  after(async () => {
    await manager?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('builds a policy tree and shows inherited and overridden settings', async () => {
    const linux = await json<{ id: string; name: string }>(['policies', 'create', 'Linux Server']);
    const web = await json<{ id: string }>(['policies', 'create', 'Web Server', '--parent', 'Linux Server']);
    const tree = await json<{ id: string; children: { id: string }[] }[]>(['policies', 'list', '--tree']);
    const root = tree.find((p) => p.id === linux.id);
    assert.deepEqual(
      root?.children.map((c) => c.id),
      [web.id],
    );

    await json(['settings', 'set', '--policy', linux.id, 'platform.heartbeatIntervalSeconds', '120']);
    const own = await json<{ value: unknown; overridden: boolean }>([
      ...['settings', 'get', '--policy', linux.id, 'platform.heartbeatIntervalSeconds'],
    ]);
    assert.deepEqual(own, { ...own, value: 120, overridden: true });
    const inherited = await bulwark(['settings', 'get', '--policy', web.id, 'platform.heartbeatIntervalSeconds']);
    assert.equal(inherited.code, 0, inherited.stderr);
    assert.match(inherited.stdout, /platform\.heartbeatIntervalSeconds\s+120\s+Inherited \(120\) from Linux Server/);

    await json(['settings', 'unset', '--policy', linux.id, 'platform.heartbeatIntervalSeconds']);
    const back = await json<{ overridden: boolean; source: { kind: string } }>([
      ...['settings', 'get', '--policy', linux.id, 'platform.heartbeatIntervalSeconds'],
    ]);
    assert.equal(back.overridden, false);
  });

  it('creates an activation token and lists it without its value', async () => {
    const token = await json<{ id: string; token: string }>([
      'tokens',
      'create',
      '--name',
      'batch-1',
      '--max-uses',
      '3',
      '--expires-in',
      '1h',
    ]);
    assert.ok(token.token.length >= 8);
    // The token carries the CA fingerprint, and the line to run is complete (agent port included).
    const shown = token as unknown as { caFingerprint: string; agentUrl: string; activateCommand: string };
    const sha256 = manager.caFingerprint.replace(/:/g, '').toLowerCase();
    assert.ok(token.token.endsWith(`.${sha256}`), token.token);
    assert.equal(shown.caFingerprint, manager.caFingerprint);
    assert.equal(shown.agentUrl, manager.agentUrl);
    assert.equal(shown.activateCommand, `bulwark-agent activate --manager ${manager.agentUrl} --token ${token.token}`);
    const text = await bulwark(['tokens', 'create', '--name', 'batch-2']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(`bulwark-agent activate --manager ${manager.agentUrl} --token bwt_\\S+\\.${sha256}\n`),
    );
    const list = await bulwark(['--json', 'tokens', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.includes(token.id));
    assert.ok(!list.stdout.includes(token.token), 'a token value must never be listed');
  });

  it('answers empty lists, exports and the audit log as JSON', async () => {
    assert.deepEqual(await json(['computers', 'list']), []);
    assert.deepEqual(await json(['events', 'list', '--since', '1h', '--severity', 'high']), []);
    const exported = await bulwark(['events', 'export', '--format', 'json']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(JSON.parse(exported.stdout), []);
    const audit = await json<{ action: string }[]>(['audit', 'list', '--limit', '100']);
    assert.ok(audit.length >= 3, 'the policy and setting changes above are audited');
  });

  it('manages users (password from stdin) and API keys', async () => {
    const user = await bulwark(
      ['--json', 'users', 'create', 'ann', '--role', 'operator'],
      {},
      'correct-horse-battery\n',
    );
    assert.equal(user.code, 0, user.stderr);
    const created = JSON.parse(user.stdout) as { id: string; username: string };
    assert.equal(created.username, 'ann');
    assert.ok(!user.stdout.includes('correct-horse-battery') && !user.stderr.includes('correct-horse-battery'));
    const users = await json<{ username: string }[]>(['users', 'list']);
    assert.ok(users.some((u) => u.username === 'ann'));
    await json(['users', 'delete', created.id]);
    assert.ok(!(await json<{ username: string }[]>(['users', 'list'])).some((u) => u.username === 'ann'));

    const key = await json<{ id: string; key: string }>(['api-keys', 'create', 'reader', '--role', 'auditor']);
    const asAuditor = await bulwark(['policies', 'create', 'Nope'], { BULWARK_API_KEY: key.key });
    assert.equal(asAuditor.code, 3, 'an auditor may not create policies');
    await json(['api-keys', 'revoke', key.id]);
    const revoked = await bulwark(['policies', 'list'], { BULWARK_API_KEY: key.key });
    assert.equal(revoked.code, 3, 'a revoked key no longer works');
  });

  it('exits 4 for an unknown computer and 3 for a wrong API key', async () => {
    const missing = await bulwark(['computers', 'show', '00000000-0000-4000-8000-000000000000']);
    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /^error: /);
    const denied = await bulwark(['policies', 'list'], { BULWARK_API_KEY: 'bwk_not_a_real_key' });
    assert.equal(denied.code, 3, denied.stderr);
  });
});
