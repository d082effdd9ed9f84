import type { FirewallRule, LoggedRule } from '../engine/index.js';

/** Rule lists of this many recent tables are kept: more than the changes a few seconds can bring. */
const KEPT_TABLES = 16;

/**
 * The rule lists of the tables the agent loaded recently, by table version. A logged packet's
 * prefix carries the version of the table that logged it and the rule's index in that table's
 * list; the agent reads packets up to seconds later, after a configuration change may have moved
 * every rule, so the index is looked up here and never in the table in force.
 */
export class RecentTables {
  readonly #tables = new Map<string, readonly FirewallRule[]>();

  remember(version: string, rules: readonly FirewallRule[]): void {
    this.#tables.delete(version);
    this.#tables.set(version, rules);
    for (const old of this.#tables.keys()) if (this.#tables.size > KEPT_TABLES) this.#tables.delete(old);
  }

  /** The rule at `index` of table `version`; without a version (an older table's prefix), of `inForce`. */
  ruleAt(version: string | undefined, index: number, inForce: readonly FirewallRule[]): LoggedRule {
    const rules = version === undefined ? inForce : this.#tables.get(version);
    if (!rules) return { name: `rule #${index} of table ${version}, no longer known to the agent` };
    const rule = rules[index];
    return rule ? { id: rule.id, name: rule.name } : { name: `rule #${index}, not in table ${version ?? 'in force'}` };
  }
}
