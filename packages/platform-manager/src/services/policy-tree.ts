import type { PolicyRow } from '../storage/schema.js';
import type { Executor } from './context.js';

/** All policies by id. Policies are few (tens to hundreds), so the tree is walked in memory. */
export type PolicyMap = ReadonlyMap<string, PolicyRow>;

export async function loadPolicies(db: Executor): Promise<PolicyMap> {
  const rows = await db.selectFrom('policies').selectAll().execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Root → leaf, ending with `policyId`; empty when it does not exist. Stops on a (corrupt) loop. */
export function policyChain(policies: PolicyMap, policyId: string | null): PolicyRow[] {
  const chain: PolicyRow[] = [];
  const seen = new Set<string>();
  let current = policyId === null ? undefined : policies.get(policyId);
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    chain.unshift(current);
    current = current.parent_id === null ? undefined : policies.get(current.parent_id);
  }
  return chain;
}

/** The given policies and every policy below them. */
export function withDescendants(policies: PolicyMap, roots: Iterable<string>): Set<string> {
  const children = new Map<string | null, string[]>();
  for (const policy of policies.values()) {
    const list = children.get(policy.parent_id) ?? [];
    list.push(policy.id);
    children.set(policy.parent_id, list);
  }
  const out = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (out.has(id)) continue;
    out.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}
