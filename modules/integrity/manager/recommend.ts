import type { Inventory } from '@bulwark/protocol';
import type { IntegrityRule } from '../engine/index.js';

/** Whether a rule's applicability and recommendation conditions hold for a host. */
export function ruleRecommendedFor(rule: IntegrityRule, inventory: Inventory, installed: ReadonlySet<string>): boolean {
  if (rule.os && rule.os.length > 0 && !rule.os.includes(inventory.os.id)) return false;
  const when = rule.recommendWhen;
  if (!when) return false;
  if (when.always) return true;
  if (when.packageManager && inventory.packages.some((p) => p.manager === when.packageManager)) return true;
  if (when.packagesAny?.some((name) => installed.has(name))) return true;
  return false;
}

export function recommendRules(rules: readonly IntegrityRule[], inventory: Inventory): string[] {
  const installed = new Set(inventory.packages.map((p) => p.name));
  return rules.filter((r) => ruleRecommendedFor(r, inventory, installed)).map((r) => r.id);
}
