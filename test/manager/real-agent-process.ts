// The real agent binary against a test manager: a policy that keeps it to one module,
// `bulwark-agent activate` with the token alone (it pins the manager's CA), then `bulwark-agent run` with
// its output kept for failure messages.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestManager } from './manager-harness.js';

export const agentBin = new URL('../../packages/platform-agent/bin/bulwark-agent.js', import.meta.url).pathname;
const run = promisify(execFile);

export const SYSTEM = { kind: 'system' as const, id: null, name: 'test' };

/** Polls `read` until `done` holds; fails with the last value after `ms` (a hang guard, not a timing assertion). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen; last: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await read();
  }
  return last;
}

/**
 * A new policy in which only `module` and the platform are on, in tap mode: a real agent under test
 * must never touch the host's firewall, traffic or files beyond what the test is about, whatever
 * modules are registered as the product grows.
 */
export async function policyWithOnly(t: TestManager, module: string, name: string) {
  const { services } = t.manager;
  const policy = await services.policies.create({ name }, SYSTEM);
  assert.ok(policy.ok);
  const target = { kind: 'policy' as const, id: policy.value.id };
  for (const other of services.modules.list()) {
    if (other.id === 'platform' || other.id === module) continue;
    if ('enabled' in other.defaults)
      assert.ok((await services.settings.set(target, `${other.id}.enabled`, false, SYSTEM)).ok);
  }
  assert.ok((await services.settings.set(target, 'platform.networkEngineMode', 'tap', SYSTEM)).ok);
  return target;
}

export interface RealAgent {
  readonly computerId: string;
  readonly process: ChildProcess;
  /** The daemon's latest output (stdout and stderr, last 20,000 characters). */
  output(): string;
}

/** Activates an agent in `agentDir` into `policyId` (with a fresh token) and starts its daemon at debug log level. */
export async function activateAndRunAgent(t: TestManager, policyId: string, agentDir: string): Promise<RealAgent> {
  const token = await t.manager.services.activationTokens.create({ name: 'real agent', policyId }, SYSTEM);
  assert.ok(token.ok);
  const activated = await run(process.execPath, [
    agentBin,
    'activate',
    '--manager',
    t.manager.agentUrl,
    '--token',
    // The token as handed out carries the CA fingerprint: no --ca flag needed.
    token.value.token,
    '--data-dir',
    agentDir,
    '--json',
  ]);
  const { computerId } = JSON.parse(activated.stdout) as { computerId: string };
  const child = spawn(process.execPath, [agentBin, 'run', '--data-dir', agentDir, '--log-level', 'debug'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { computerId, process: child, output: () => output };
}
