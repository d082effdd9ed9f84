import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  diffInventories,
  type InventoryEntry,
  parseStoredInventory,
  serializeInventory,
} from './software-inventory.js';

const entry = (path: string, c: string): InventoryEntry => ({ path, sha256: c.repeat(64), size: 1, kind: 'elf' });
const map = (...entries: InventoryEntry[]) => new Map(entries.map((e) => [e.path, e]));

test('added, changed and removed executables, in path order', () => {
  const before = map(entry('/b', 'a'), entry('/c', 'b'));
  const after = map(entry('/a', 'c'), entry('/b', 'd'));
  assert.deepEqual(diffInventories(before, after), [
    { change: 'added', path: '/a', sha256: 'c'.repeat(64) },
    { change: 'changed', path: '/b', sha256: 'd'.repeat(64), previousSha256: 'a'.repeat(64) },
    { change: 'removed', path: '/c', sha256: 'b'.repeat(64) },
  ]);
});

test('a stored inventory reads back; garbage is an error value', () => {
  const text = serializeInventory('2026-12-07T00:00:00.000Z', [entry('/x', 'e')]);
  assert.deepEqual(parseStoredInventory(text), {
    ok: true,
    builtAt: '2026-12-07T00:00:00.000Z',
    entries: [entry('/x', 'e')],
  });
  assert.match(JSON.stringify(parseStoredInventory('{')), /"ok":false,"reason":"not JSON/);
  assert.equal(parseStoredInventory('{"format":1,"builtAt":"x","entries":[["/x","zz",1,"elf"]]}').ok, false);
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      parseStoredInventory(text);
    }),
  );
});
