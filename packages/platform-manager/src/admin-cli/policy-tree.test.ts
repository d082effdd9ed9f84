import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPolicyTree, formatPolicyTree } from './policy-tree.js';

describe('buildPolicyTree', () => {
  it('nests policies under their parents, sorted by name', () => {
    const roots = buildPolicyTree([
      { id: 'web', name: 'Web Server', parentId: 'linux' },
      { id: 'base', name: 'Base Policy', parentId: null },
      { id: 'linux', name: 'Linux Server', parentId: 'base' },
      { id: 'db', name: 'Database', parentId: 'linux' },
    ]);
    assert.equal(
      formatPolicyTree(roots),
      ['Base Policy  (base)', '└─ Linux Server  (linux)', '   ├─ Database  (db)', '   └─ Web Server  (web)'].join('\n'),
    );
  });

  it('makes orphans and cycle members roots instead of looping', () => {
    const roots = buildPolicyTree([
      { id: 'a', name: 'A', parentId: 'b' },
      { id: 'b', name: 'B', parentId: 'a' },
      { id: 'c', name: 'C', parentId: 'gone' },
    ]);
    const names = (nodes: typeof roots): string[] => nodes.flatMap((n) => [String(n.name), ...names(n.children)]);
    assert.deepEqual(names(roots).sort(), ['A', 'B', 'C']);
    assert.ok(roots.some((r) => r.id === 'c'));
  });
});
