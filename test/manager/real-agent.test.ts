import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bearer, call, startTestManager, type TestManager } from './manager-harness.js';
import { activateAndRunAgent, agentBin, eventually, policyWithOnly, SYSTEM } from './real-agent-process.js';

describe('the real bulwark-agent against the real manager', () => {
  let t: TestManager;
  let agentDir: string;
  let agent: ChildProcess | null = null;
  let agentOutput = () => '';

  before(async () => {
    t = await startTestManager();
    agentDir = await mkdtemp(join(tmpdir(), 'bulwark-agent-e2e-'));
  });
  after(async () => {
    agent?.kill('SIGKILL');
    await t?.close();
    await rm(agentDir, { recursive: true, force: true });
  });

  test('activating against the console port says to use the agent port, and the token is not used up', async () => {
    const token = await t.manager.services.activationTokens.create({ name: 'wrong port', maxUses: 1 }, SYSTEM);
    assert.ok(token.ok);
    const dir = await mkdtemp(join(tmpdir(), 'bulwark-agent-console-port-'));
    try {
      const answer = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [agentBin, 'activate', '--manager', t.manager.consoleUrl, '--token', token.value.token, '--data-dir', dir],
          (error, _stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
        ),
      );
      assert.equal(answer.code, 5, answer.stderr);
      assert.match(answer.stderr, /not the manager's agent port.*console port.*use the agent port/);
      const listed = await t.manager.services.activationTokens.list();
      assert.ok(listed.ok);
      assert.equal(listed.value.items.find((i) => i.id === token.value.activationToken.id)?.uses, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('activate with the token alone (it pins the CA), run, apply the configuration, follow a change through the wake channel', async () => {
    const policy = await policyWithOnly(t, 'inventory', 'Agent test (inventory only)');
    const started = await activateAndRunAgent(t, policy.id, agentDir);
    const { computerId } = started;
    assert.match(computerId, /^[0-9a-f-]{36}$/);
    agent = started.process;
    agentOutput = started.output;

    const computerNow = async () => {
      const answer = await call(`${t.manager.consoleUrl}/api/computers/${computerId}`, {
        headers: bearer(t.keys.auditor),
        ca: t.manager.caCertPem,
      });
      return answer.json as {
        status: string;
        appliedConfigurationVersion: string | null;
        configurationVersion: string;
      };
    };
    const managed = await eventually(
      computerNow,
      (c) => c.status === 'managed' && c.appliedConfigurationVersion === c.configurationVersion,
      90_000,
      `the agent applying its configuration (agent output:\n${agentOutput().slice(-2000)})`,
    );
    const firstVersion = managed.configurationVersion;

    // The heartbeat interval is long; only the wake channel can bring the change this quickly.
    const change = await call(
      `${t.manager.consoleUrl}/api/computers/${computerId}/settings/platform.failDeadlineMilliseconds`,
      {
        method: 'PUT',
        body: { value: 250 },
        headers: bearer(t.keys.operator),
        ca: t.manager.caCertPem,
      },
    );
    assert.equal(change.status, 200, change.text);
    await eventually(
      computerNow,
      (c) => c.configurationVersion !== firstVersion && c.appliedConfigurationVersion === c.configurationVersion,
      45_000,
      'the agent following the change (heartbeats are every 60 s: this needs the wake channel)',
    );

    const inventory = await eventually(
      () =>
        call(`${t.manager.consoleUrl}/api/computers/${computerId}/inventory`, {
          headers: bearer(t.keys.auditor),
          ca: t.manager.caCertPem,
        }),
      (answer) => answer.status === 200,
      60_000,
      'the inventory arriving',
    );
    assert.ok(Array.isArray(inventory.json.inventory.packages));

    const exited = new Promise<number | null>((resolve) => agent!.once('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    assert.equal(await exited, 0, agentOutput().slice(-2000));
    agent = null;
  });
});
