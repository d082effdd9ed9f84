import type { Inventory, ListeningPort } from '@bulwark/protocol';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';

/** Always proposed: they only keep a host reachable once any allow rule turns on implicit deny. */
const BASELINE = [
  'allow-established',
  'allow-established-outgoing',
  'allow-loopback',
  'allow-icmp-basics',
  'allow-icmpv6-basics',
];

const SSH_PORT = 22;

const reachable = (p: ListeningPort) => p.protocol === 'tcp' && !/^(127\.|::1$|\[::1\])/.test(p.address);
const isSshd = (p: ListeningPort) => p.port === SSH_PORT || /(^|\/)sshd\b/.test(p.process ?? '');

/**
 * Built-in rule ids to propose for a host: the baseline, plus an allow rule for each listening TCP
 * service a built-in rule covers (on a non-loopback address), plus SSH when sshd listens.
 *
 * Every proposal contains allow rules, so applying it turns on implicit deny for incoming traffic,
 * and it must never cut the administrators' SSH. A recommendation scan sees the inventory only,
 * not whether the IP list `ssh-administrators` exists (without it that rule is refused), so SSH is
 * proposed as `allow-ssh` (from anywhere; its description says how to narrow it). When sshd
 * listens on a port that no built-in rule opens, nothing is proposed: implicit deny would block it.
 * These are proposals: auto-apply assigns only the ones that block nothing new (`auto-apply.ts`),
 * so on a host with no allow rule in force it assigns none of the allow rules.
 */
export function recommend(inventory: Inventory): readonly string[] {
  const tcp = inventory.listeningPorts.filter(reachable);
  const sshPorts = new Set(tcp.filter(isSshd).map((p) => p.port));
  if ([...sshPorts].some((port) => port !== SSH_PORT)) return [];
  const listening = new Set(tcp.map((p) => p.port));
  const ids = new Set(BASELINE);
  if (sshPorts.has(SSH_PORT)) ids.add('allow-ssh');
  for (const rule of BUILT_IN_RULES) {
    if (!rule.id.endsWith('-server')) continue;
    if ((rule.destinationPorts?.ports ?? []).some((p) => typeof p === 'number' && listening.has(p))) ids.add(rule.id);
  }
  return [...ids].sort();
}
