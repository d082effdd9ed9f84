import type { Inventory } from '@bulwark/protocol';
import type { IpsRule } from '../engine/ips-engine-contract.js';

/**
 * Rules to propose for a host: a rule whose `recommendWhen` names a port the host listens on
 * (same protocol as its application type) or a package it has installed. Imported Suricata rules
 * carry no condition and are never proposed: an administrator assigns them.
 */
export function recommendIpsRules(rules: readonly IpsRule[], inventory: Inventory): string[] {
  const installed = new Set(inventory.packages.map((p) => p.name));
  const listening = new Set(inventory.listeningPorts.map((p) => `${p.protocol}/${p.port}`));
  const out: string[] = [];
  for (const rule of rules) {
    const when = rule.recommendWhen;
    if (!when) continue;
    const port = (when.listeningPorts ?? []).some((p) => listening.has(`${rule.applicationType.protocol}/${p}`));
    const pkg = (when.packages ?? []).some((name) => installed.has(name));
    if (port || pkg) out.push(rule.id);
  }
  return out.sort();
}
