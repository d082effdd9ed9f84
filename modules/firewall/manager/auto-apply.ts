import { type AssignedRule, parseWith } from '@bulwark/protocol';
import { FirewallRule } from '../engine/index.js';
import { mergedRule } from './check-rule.js';

/** What assigning this rule on its own does to the traffic the host lets through. */
function narrowing(rule: FirewallRule, implicitDenyOn: ReadonlySet<string>): string | undefined {
  if (rule.action === 'deny')
    return rule.mode === 'detect' ? undefined : `a deny rule blocks ${rule.direction} traffic that flows today`;
  // ARP rules have no implicit deny; only an `allow` turns it on (force-allow and bypass do not).
  if (rule.action !== 'allow' || rule.frameType === 'arp') return undefined;
  if (implicitDenyOn.has(rule.direction)) return undefined;
  return (
    `it would turn on the implicit deny for ${rule.direction} traffic (no allow rule is in force for it yet): ` +
    `every new ${rule.direction} connection no rule allows would be blocked, loopback included; ` +
    'assign it yourself together with the allow rules the host needs'
  );
}

/**
 * The firewall's `autoApplyRefusals`: a recommendation scan sees the inventory (listening
 * services), not the host's traffic, so it may only assign rules that block nothing new. A deny
 * rule (in prevent mode) blocks; an allow rule in a direction with no allow rule in force yet
 * turns on implicit deny for everything else in that direction. Both stay proposed.
 */
export function firewallAutoApplyRefusals(
  candidates: readonly AssignedRule[],
  inForce: readonly AssignedRule[],
): { id: string; reason: string }[] {
  const implicitDenyOn = new Set<string>();
  for (const assigned of inForce) {
    const parsed = parseWith(FirewallRule, mergedRule(assigned));
    if (parsed.ok && parsed.value.action === 'allow' && parsed.value.frameType !== 'arp')
      implicitDenyOn.add(parsed.value.direction);
  }
  const out: { id: string; reason: string }[] = [];
  for (const candidate of candidates) {
    const parsed = parseWith(FirewallRule, mergedRule(candidate));
    if (!parsed.ok) {
      out.push({ id: candidate.id, reason: 'not a valid firewall rule here' });
      continue;
    }
    const why = narrowing(parsed.value, implicitDenyOn);
    if (why) out.push({ id: candidate.id, reason: why });
  }
  return out;
}
