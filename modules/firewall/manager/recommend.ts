import type { Inventory } from '@bulwark/protocol';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';

/** Always proposed: they only keep a host reachable once any allow rule turns on implicit deny. */
const BASELINE = [
  'allow-established',
  'allow-established-outgoing',
  'allow-loopback',
  'allow-icmp-basics',
  'allow-icmpv6-basics',
];

/**
 * Built-in rule ids to propose for a host: the baseline, plus an allow rule for each listening TCP
 * service a built-in rule covers (on a non-loopback address), plus SSH when sshd listens.
 */
export function recommend(inventory: Inventory): readonly string[] {
  const listening = new Set(
    inventory.listeningPorts
      .filter((p) => p.protocol === 'tcp' && !/^(127\.|::1$|\[::1\])/.test(p.address))
      .map((p) => p.port),
  );
  const ids = new Set(BASELINE);
  if (listening.has(22)) ids.add('allow-ssh-from-administrators');
  for (const rule of BUILT_IN_RULES) {
    if (!rule.id.endsWith('-server')) continue;
    if ((rule.destinationPorts?.ports ?? []).some((p) => typeof p === 'number' && listening.has(p))) ids.add(rule.id);
  }
  return [...ids].sort();
}
