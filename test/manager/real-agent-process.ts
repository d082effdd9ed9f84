// The real agent binary against a test manager: `bulwark-agent activate` with the manager's CA
// fingerprint pinned, then `bulwark-agent run` with its output kept for failure messages.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestManager } from './manager-harness.js';

export const agentBin = new URL('../../packages/platform-agent/bin/bulwark-agent.js', import.meta.url).pathname;
const run = promisify(execFile);

export interface RealAgent {
  readonly computerId: string;
  readonly process: ChildProcess;
  /** The daemon's latest output (stdout and stderr, last 20,000 characters). */
  output(): string;
}

/** Activates an agent in `agentDir` with `token` and starts its daemon at debug log level. */
export async function activateAndRunAgent(t: TestManager, token: string, agentDir: string): Promise<RealAgent> {
  const activated = await run(process.execPath, [
    agentBin,
    'activate',
    '--manager',
    t.manager.agentUrl,
    '--token',
    token,
    '--ca-fingerprint',
    t.manager.caFingerprint,
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
