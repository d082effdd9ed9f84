// Deactivation removes the kernel hooks the modules installed; a plain stop keeps them. A real
// firewall table in a network namespace made for the test, with the real agent process (local
// deactivation) and the daemon told by its manager that the computer was deactivated.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { firewallAgentFactory, namespaceNft } from '@bulwark/module-firewall/agent';
import { activateAgent, readAgentStatus, silentLogger, startAgent } from '@bulwark/platform-agent';
import { moduleConfiguration, quiet } from '../firewall/configurations.js';
import { rootSkipReason } from '../firewall/firewall-lab.js';
import { createNamespaces, type Namespaces } from '../support/netns-lab.js';
import { createTestPki, type FakeManager, makeConfiguration, startFakeManager } from './fake-manager.js';

const BIN = new URL('../../packages/platform-agent/bin/bulwark-agent.js', import.meta.url).pathname;
const skip = rootSkipReason(['nft', 'ip']);
if (skip) console.log(`# skipping agent deactivation hook tests: ${skip}`);

const firewallOn = () => ({
  firewall: moduleConfiguration(
    [{ id: 'deny-9', action: 'deny', protocol: 'tcp', destinationPorts: { ports: [9] } }],
    quiet,
  ),
});

async function until<T>(read: () => T | Promise<T>, done: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what} did not happen: ${JSON.stringify(value).slice(0, 1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('deactivation removes the kernel hooks; a plain stop keeps them', { skip }, () => {
  let lab: Namespaces;
  let ns: string;
  let manager: FakeManager;
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-agent-deact-'));
    dirs.push(dir);
    return dir;
  };
  const tableInNamespace = () => lab.exec(ns, 'nft', ['list', 'table', 'inet', 'bulwark']).code === 0;

  before(async () => {
    ns = `bwdeact-${process.pid % 100000}`;
    lab = createNamespaces([ns], [], 20_000);
    manager = await startFakeManager(await createTestPki());
  });
  after(async () => {
    await manager?.close();
    lab?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('the real agent in a namespace: SIGTERM keeps the table and status says so; deactivate removes it', async () => {
    const dir = dataDir();
    const activated = await activateAgent({ managerUrl: manager.url, token: manager.tokenWithCa, dataDir: dir });
    assert.ok(activated.ok, JSON.stringify(activated));
    // The namespace cannot reach the manager: the agent protects the host with the stored configuration.
    writeFileSync(
      join(dir, 'configuration.json'),
      JSON.stringify(makeConfiguration(activated.computerId, firewallOn())),
    );
    const agent = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'run', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    agent.stdout.on('data', (c: Buffer) => {
      output = (output + c.toString()).slice(-10_000);
    });
    const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));
    try {
      await until(tableInNamespace, (v) => v, 30_000, `the firewall table in the namespace (agent: ${output})`);
      const running = await until(
        () => readAgentStatus(dir),
        (s) => s.kernelHooks.length > 0,
        10_000,
        'status listing the hooks',
      );
      assert.equal(running.daemon, 'running');
      agent.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    } finally {
      agent.kill('SIGKILL');
    }
    assert.ok(tableInNamespace(), 'a plain stop keeps the table enforcing');
    const stopped = readAgentStatus(dir);
    assert.equal(stopped.daemon, 'stopped');
    assert.deepEqual(
      stopped.kernelHooks.map((h) => h.module),
      ['firewall'],
    );
    const text = await cli(['status', '--data-dir', dir]);
    assert.match(
      text.stdout,
      /kernel hooks: +firewall: nftables tables "inet bulwark".*\n.*still enforcing while the agent is stopped/,
    );

    // The namespace has no route to the manager: --force deactivates locally, and still removes the table.
    const deactivated = await cli(['deactivate', '--force', '--json', '--data-dir', dir], ns);
    assert.equal(deactivated.code, 0, deactivated.stdout + deactivated.stderr);
    assert.deepEqual((JSON.parse(deactivated.stdout) as { hooksLeft: unknown[] }).hooksLeft, []);
    assert.equal(tableInNamespace(), false, 'deactivation removed the table');
    const after = readAgentStatus(dir);
    assert.equal(after.activated, false);
    assert.equal(after.deactivation?.by, 'local');
    assert.deepEqual(after.kernelHooks, []);
  });

  it('the manager deactivates the computer: the agent stops, removes the table, forgets its identity', async () => {
    const dir = dataDir();
    const activated = await activateAgent({ managerUrl: manager.url, token: manager.tokenWithCa, dataDir: dir });
    assert.ok(activated.ok, JSON.stringify(activated));
    manager.deactivatedByManager = false;
    manager.configuration = makeConfiguration(activated.computerId, firewallOn());
    const started = await startAgent({
      dataDir: dir,
      log: silentLogger,
      factories: [
        firewallAgentFactory({
          nft: namespaceNft(ns),
          openPacketLog: () => ({ available: false, reason: 'no packet log in this test' }),
        }),
      ],
      wakeTimeoutSeconds: 1,
      maxHeartbeatIntervalMs: 300,
    });
    assert.ok(started.ok);
    const agent = started.agent;
    try {
      await until(tableInNamespace, (v) => v, 30_000, 'the firewall table in the namespace');
      manager.deactivatedByManager = true;
      manager.wake();
      assert.equal(await agent.ended, 'deactivated by the manager');
    } finally {
      await agent.stop();
    }
    assert.equal(tableInNamespace(), false, 'the table went with the deactivation');
    const status = readAgentStatus(dir);
    assert.equal(status.activated, false);
    assert.equal(status.deactivation?.by, 'manager');
    assert.equal(status.deactivation?.computerId, activated.computerId);
    assert.deepEqual(status.kernelHooks, []);
    const text = await cli(['status', '--data-dir', dir]);
    assert.equal(text.code, 3);
    assert.match(text.stdout, /was deactivated by the manager at .*\nkernel hooks: +none left/);
    // Nothing keeps calling a manager that said no: a new run refuses to start at all.
    const refusedSoFar = manager.refusedAsDeactivated;
    const rerun = await cli(['run', '--data-dir', dir], ns);
    assert.equal(rerun.code, 3, rerun.stdout + rerun.stderr);
    assert.equal(manager.refusedAsDeactivated, refusedSoFar);
  });
});

/** The agent CLI; in `namespace` when it touches the kernel (never the host's own namespace). */
function cli(args: string[], namespace?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, argv] = namespace
    ? ['ip', ['netns', 'exec', namespace, process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]];
  return new Promise((resolve) =>
    execFile(file, argv, { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }),
    ),
  );
}
