import type { Executor } from './context.js';
import type { RuleTarget } from './rules-targets.js';

/** Row writes behind rule assignment and overrides; the rules service checks before it calls them. */

export async function insertAssignments(
  trx: Executor,
  target: RuleTarget,
  moduleId: string,
  ruleIds: readonly string[],
  now: number,
): Promise<void> {
  await trx
    .insertInto('rule_assignments')
    .values(
      ruleIds.map((ruleId) => ({
        target_kind: target.kind,
        target_id: target.id,
        module: moduleId,
        rule_id: ruleId,
        assigned_at: now,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Stores a rule's overrides at one level; an empty object removes them. */
export async function storeOverrides(
  trx: Executor,
  target: RuleTarget,
  moduleId: string,
  ruleId: string,
  overrides: Record<string, unknown>,
  now: number,
): Promise<void> {
  if (Object.keys(overrides).length === 0) {
    await trx
      .deleteFrom('rule_overrides')
      .where('target_kind', '=', target.kind)
      .where('target_id', '=', target.id)
      .where('module', '=', moduleId)
      .where('rule_id', '=', ruleId)
      .execute();
    return;
  }
  const json = JSON.stringify(overrides);
  await trx
    .insertInto('rule_overrides')
    .values({
      target_kind: target.kind,
      target_id: target.id,
      module: moduleId,
      rule_id: ruleId,
      overrides_json: json,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(['target_kind', 'target_id', 'module', 'rule_id'])
        .doUpdateSet({ overrides_json: json, updated_at: now }),
    )
    .execute();
}
