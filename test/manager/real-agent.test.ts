import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bearer, call, startTestManager, type TestManager } from './manager-harness.js';
import { activateAndRunAgent } from './real-agent-process.js';

const SYSTEM = { kind: 'system' as const, id: null, name: 'test' };

/** Polls `read` until `done` holds; fails with the last value after `ms` (a hang guard, not a timing assertion). */
async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await read();
  }
  return last;
}

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

  test('activate with a pinned CA fingerprint, run, apply the configuration, follow a change through the wake channel', async () => {
    const { services } = t.manager;
    // A policy where only the inventory module runs: this test must never touch the host's
    // firewall, traffic or files, whatever modules are registered as the product grows.
    const policy = await services.policies.create({ name: 'Agent test (inventory only)' }, SYSTEM);
    assert.ok(policy.ok);
    const target = { kind: 'policy' as const, id: policy.value.id };
    for (const module of services.modules.list()) {
      if (module.id === 'platform' || module.id === 'inventory') continue;
      if ('enabled' in module.defaults)
        assert.ok((await services.settings.set(target, `${module.id}.enabled`, false, SYSTEM)).ok);
    }
    assert.ok((await services.settings.set(target, 'platform.networkEngineMode', 'tap', SYSTEM)).ok);
    const token = await services.activationTokens.create({ name: 'e2e', policyId: policy.value.id }, SYSTEM);
    assert.ok(token.ok);

    const started = await activateAndRunAgent(t, token.value.token, agentDir);
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
