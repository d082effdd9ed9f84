/**
 * Whether the NFQUEUE system tests can run on this machine. Besides root and the kernel addon they
 * need ip, nc and python3, and a way to steer traffic to a queue (nft with nft_queue, or iptables
 * with the NFQUEUE target), which only trying it tells: the probe installs the steering in a
 * throwaway namespace. Without this, a missing tool or kernel feature failed the suite's set-up and
 * cancelled its tests, and `npm test` exited 1.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelSkipReason, missing, repoRoot } from './netns-lab.js';

const PROBE = fileURLToPath(new URL('./steering-probe.ts', import.meta.url));
const FEATURE = 'NFQUEUE in a network namespace';

export function nfqueueSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const basic = kernelSkipReason(FEATURE, { tools: ['ip', 'nc', 'python3'], env });
  if (basic) return basic;
  const probe = spawnSync(process.execPath, ['--import', 'tsx', PROBE], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  let answer: { ok: boolean; reason?: string } | undefined;
  try {
    answer = JSON.parse(probe.stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    answer = undefined;
  }
  if (answer?.ok) return undefined;
  const reason = answer?.reason ?? `the steering probe failed: ${probe.error?.message ?? probe.stderr.trim()}`;
  return missing(`NFQUEUE steering must work in CI: ${reason}`, `cannot steer traffic to NFQUEUE here: ${reason}`, env);
}
