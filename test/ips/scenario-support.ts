import { spawnSync } from 'node:child_process';
import type { Namespaces } from '../support/netns-lab.js';

/** Runs commands in the lab's namespaces from a process that did not create them (a scenario). */
export function createNamespacesHandle(timeoutMs = 30_000): Namespaces {
  return {
    exec: (ns, cmd, args, ms = timeoutMs) => {
      const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: ms });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    destroy: () => {},
  };
}
