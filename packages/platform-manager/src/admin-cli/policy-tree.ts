import type { Row } from './api-calls.js';

export type PolicyNode = Row & { readonly children: PolicyNode[] };

/**
 * Nests a flat policy list by `parentId`. A policy whose parent is missing from the list (or a
 * cycle, which the manager refuses but a client must not loop on) becomes a root.
 */
export function buildPolicyTree(policies: readonly Row[]): PolicyNode[] {
  const nodes = new Map<string, PolicyNode>();
  for (const p of policies) if (typeof p.id === 'string') nodes.set(p.id, { ...p, children: [] });
  const roots: PolicyNode[] = [];
  for (const node of nodes.values()) {
    const parentId = node.parentId;
    const parent = typeof parentId === 'string' ? nodes.get(parentId) : undefined;
    if (parent !== undefined && !isAncestor(node, parent, nodes)) parent.children.push(node);
    else roots.push(node);
  }
  const byName = (a: PolicyNode, b: PolicyNode) => String(a.name).localeCompare(String(b.name));
  const sort = (list: PolicyNode[]) => {
    list.sort(byName);
    for (const n of list) sort(n.children);
  };
  sort(roots);
  return roots;
}

/** True when `candidate` is `node` itself or sits below it through parentId links. */
function isAncestor(node: PolicyNode, candidate: PolicyNode, nodes: Map<string, PolicyNode>): boolean {
  let current: PolicyNode | undefined = candidate;
  for (let steps = 0; current !== undefined && steps <= nodes.size; steps++) {
    if (current === node) return true;
    current = typeof current.parentId === 'string' ? nodes.get(current.parentId) : undefined;
  }
  return current !== undefined;
}

/** The tree drawn with box characters, one policy a line: `name  (id)`. */
export function formatPolicyTree(roots: readonly PolicyNode[]): string {
  if (roots.length === 0) return '(none)';
  const lines: string[] = [];
  const walk = (node: PolicyNode, prefix: string, isLast: boolean, isRoot: boolean) => {
    const branch = isRoot ? '' : isLast ? '└─ ' : '├─ ';
    lines.push(`${prefix}${branch}${String(node.name)}  (${String(node.id)})`);
    const childPrefix = isRoot ? '' : prefix + (isLast ? '   ' : '│  ');
    node.children.forEach((child, i) => {
      walk(child, childPrefix, i === node.children.length - 1, false);
    });
  };
  roots.forEach((root, i) => {
    walk(root, '', i === roots.length - 1, true);
  });
  return lines.join('\n');
}
