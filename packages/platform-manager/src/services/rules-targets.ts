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
