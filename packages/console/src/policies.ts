import { useQuery } from '@tanstack/react-query';
import { get, type Page } from './api';
import type { PolicyNode } from './types';

/** The policy tree (answered whole by the API) and a flat id → policy map for names. */
export function usePolicyTree() {
  const answer = useQuery({
    queryKey: ['policies', 'tree'],
    queryFn: () => get<Page<PolicyNode>>('/api/policies', { tree: true }),
  });
  const roots = answer.data?.items ?? [];
  const byId = new Map<string, PolicyNode>();
  const walk = (nodes: PolicyNode[]) => {
    for (const node of nodes) {
      byId.set(node.id, node);
      walk(node.children ?? []);
    }
  };
  walk(roots);
  return { roots, byId, loading: answer.isPending };
}

/** Policies in tree order with their depth, for selects. */
export function flattenTree(roots: PolicyNode[], depth = 0): { policy: PolicyNode; depth: number }[] {
  return roots.flatMap((policy) => [{ policy, depth }, ...flattenTree(policy.children ?? [], depth + 1)]);
}
