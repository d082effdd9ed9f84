import type { Executor } from './context.js';
import { type PolicyMap, policyChain } from './policy-tree.js';
import { abort } from './result.js';
import type { RuleSource, RuleTargetKind } from './rules-effective.js';

/** A policy or a computer, where rules are assigned and their properties overridden. */
export interface RuleTarget {
  readonly kind: RuleTargetKind;
  readonly id: string;
}

/** The target's levels root → leaf (the target last); `not-found` when it does not exist. */
export async function targetLayers(db: Executor, policies: PolicyMap, target: RuleTarget): Promise<RuleSource[]> {
  const chainOf = (policyId: string | null): RuleSource[] =>
    policyChain(policies, policyId).map((p) => ({ kind: 'policy', id: p.id, name: p.name }));
  if (target.kind === 'policy') {
    if (!policies.has(target.id)) abort('not-found', `policy ${target.id} not found`);
    return chainOf(target.id);
  }
  if (target.kind === 'computer') {
    const computer = await db
      .selectFrom('computers')
      .select(['id', 'name', 'policy_id'])
      .where('id', '=', target.id)
      .executeTakeFirst();
    if (!computer) abort('not-found', `computer ${target.id} not found`);
    return [...chainOf(computer.policy_id), { kind: 'computer', id: computer.id, name: computer.name }];
  }
  return abort('validation', 'rules are assigned to a policy or a computer');
}

export function affectedBy(target: RuleTarget) {
  return target.kind === 'policy' ? { policyIds: [target.id] } : { computerIds: [target.id] };
}

/** Every policy and computer (not deactivated) that assigns the rule directly. */
export async function targetsAssigning(db: Executor, moduleId: string, ruleId: string): Promise<RuleSource[]> {
  const policies = await db
    .selectFrom('rule_assignments')
    .innerJoin('policies', 'policies.id', 'rule_assignments.target_id')
    .select(['policies.id', 'policies.name'])
    .where('rule_assignments.target_kind', '=', 'policy')
    .where('rule_assignments.module', '=', moduleId)
    .where('rule_assignments.rule_id', '=', ruleId)
    .orderBy('policies.name')
    .orderBy('policies.id')
    .execute();
  const computers = await db
    .selectFrom('rule_assignments')
    .innerJoin('computers', 'computers.id', 'rule_assignments.target_id')
    .select(['computers.id', 'computers.name'])
    .where('rule_assignments.target_kind', '=', 'computer')
    .where('rule_assignments.module', '=', moduleId)
    .where('rule_assignments.rule_id', '=', ruleId)
    .where('computers.deactivated_at', 'is', null)
    .orderBy('computers.name')
    .orderBy('computers.id')
    .execute();
  return [
    ...policies.map((p) => ({ kind: 'policy' as const, id: p.id, name: p.name })),
    ...computers.map((c) => ({ kind: 'computer' as const, id: c.id, name: c.name })),
  ];
}
