/**
 * Whether a kernel feature the system tests need works here, found by trying it in a throwaway
 * network namespace (namespace-probe.ts): a missing module or tool shows only when used, and a
 * suite whose set-up fails on it has its tests cancelled (npm test exits 1) instead of skipped.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./namespace-probe.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

export type NamespaceProbe = 'nft' | 'nflog' | 'nfqueue';

/** Why the feature does not work here, or undefined when it does. Runs with `env` (its PATH decides which tools exist). */
export function namespaceProbeFailure(probe: NamespaceProbe, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const run = spawnSync(process.execPath, ['--import', 'tsx', PROBE, probe], {
    cwd: REPO,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  let answer: { ok: boolean; reason?: string } | undefined;
  try {
    answer = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    answer = undefined;
  }
  if (answer?.ok) return undefined;
  return answer?.reason ?? `the ${probe} probe failed: ${run.error?.message ?? run.stderr.trim()}`;
}
