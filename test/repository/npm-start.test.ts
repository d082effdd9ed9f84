// `npm start` as a new user runs it: the script itself (scripts/start.mjs), in a fresh data
// directory, on free ports. As root it must also activate a local agent into the detect-only
// policy; as an unprivileged user it must run the manager alone and say how to add an agent.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const repo = new URL('../..', import.meta.url).pathname;
const startScript = join(repo, 'scripts/start.mjs');
const agentBin = join(repo, 'packages/platform-agent/bin/bulwark-agent.js');
const isRoot = process.getuid?.() === 0;

interface Started {
  child: ChildProcess;
  output: () => string;
}

function start(dataDir: string, asUser?: string): Started {
  const env = { ...process.env, BULWARK_DATA_DIR: dataDir, BULWARK_CONSOLE_PORT: '0', BULWARK_AGENT_PORT: '0' };
  const [command, args] = asUser
    ? ['setpriv', ['--reuid', asUser, '--regid', asUser, '--clear-groups', process.execPath, startScript]]
    : [process.execPath, [startScript]];
  const child = spawn(command, args as string[], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  return { child, output: () => output };
}

async function until(what: string, predicate: () => boolean, started: Started, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (started.child.exitCode !== null) throw new Error(`npm start exited early:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(started: Started): Promise<number | null> {
  if (started.child.exitCode !== null) return started.child.exitCode;
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', (code) => resolve(code)));
  started.child.kill('SIGTERM');
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

function agentStatus(agentDir: string): { activated?: boolean; computerId?: string; daemon?: string } {
  try {
    return JSON.parse(
      execFileSync(process.execPath, [agentBin, 'status', '--json', '--data-dir', agentDir], { encoding: 'utf8' }),
    );
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    return stdout ? JSON.parse(stdout) : {};
  }
}

function readableBy(uid: string, path: string): boolean {
  try {
    execFileSync('setpriv', ['--reuid', uid, '--regid', uid, '--clear-groups', 'test', '-r', path]);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  const dirs: string[] = [];
  const running: Started[] = [];
  after(async () => {
    for (const s of running) await stop(s);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('as root: runs the manager, prints the one-time password, and starts a detect-only local agent', async (t) => {
    if (!isRoot) return t.skip('needs root: npm start only starts the local agent as root');
    const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-npm-start-'));
    dirs.push(dataDir);
    const started = start(dataDir);
    running.push(started);
    await until('the local agent to start', () => started.output().includes('Local agent running'), started);
    const out = started.output();
    assert.match(out, /console\/API {2}https:\/\/[^ ]+:\d+\/api/);
    assert.match(out, /web console {2}https:\/\/[^ ]+:\d+\/ /);
    assert.match(out, /password \S{12,}/, 'the first administrator password is printed');
    assert.match(out, /sha256 [0-9a-f:]{64,}/i, 'the CA fingerprint is printed');
    assert.match(out, /Local host \(detect only\)/);

    const agentDir = join(dataDir, 'agent');
    await until(
      'the agent daemon to run with its identity',
      () => {
        const s = agentStatus(agentDir);
        return Boolean(s.computerId) && s.daemon === 'running';
      },
      started,
    );

    assert.equal(await stop(started), 0, 'SIGTERM stops the manager and the agent cleanly');
    running.pop();
    assert.notEqual(agentStatus(agentDir).daemon, 'running', 'the local agent stopped with npm start');

    // A second start reuses the data: no new password, the same agent identity.
    const computerId = agentStatus(agentDir).computerId;
    const again = start(dataDir);
    running.push(again);
    await until('the second start to run the agent', () => again.output().includes('Local agent running'), again);
    assert.doesNotMatch(again.output(), /password \S{12,}/, 'the password is shown only once');
    assert.equal(agentStatus(agentDir).computerId, computerId, 'the agent keeps its identity');
    assert.equal(await stop(again), 0);
    running.pop();
  });

  it('as an unprivileged user: runs the manager alone and says how to start an agent', async (t) => {
    if (!isRoot) return t.skip('needs root to switch to the unprivileged user 65534 (nobody) for the test');
    if (!readableBy('65534', join(repo, 'node_modules/tsx/package.json'))) {
      return t.skip(`user 65534 cannot read this checkout (${repo}): a parent directory is not world-readable`);
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-npm-start-user-'));
    dirs.push(dataDir);
    chmodSync(dataDir, 0o777);
    const started = start(dataDir, '65534');
    running.push(started);
    await until(
      'the manager to say how to start an agent',
      () => started.output().includes('Not running as root'),
      started,
    );
    assert.match(started.output(), /bulwark-agent activate --manager https:\/\/\S+ --token T/);
    assert.doesNotMatch(started.output(), /Local agent running/);
    assert.equal(await stop(started), 0);
    running.pop();
  });
});
