/**
 * Whether the NFQUEUE system tests can run on this machine. Besides root and the kernel addon they
 * need ip, nc and python3, and a way to steer traffic to a queue (nft with nft_queue, or iptables
 * with the NFQUEUE target), which only trying it tells. Without this, a missing tool or kernel
 * feature failed the suite's set-up and cancelled its tests, and `npm test` exited 1.
 */
import { namespaceProbeFailure } from '../support/namespace-feature.js';
import { kernelSkipReason, missing } from './netns-lab.js';

const FEATURE = 'NFQUEUE in a network namespace';

export function nfqueueSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const basic = kernelSkipReason(FEATURE, { tools: ['ip', 'nc', 'python3'], env });
  if (basic) return basic;
  const failure = namespaceProbeFailure('nfqueue', env);
  if (failure === undefined) return undefined;
  return missing(
    `NFQUEUE steering must work in CI: ${failure}`,
    `cannot steer traffic to NFQUEUE here: ${failure}`,
    env,
  );
}
