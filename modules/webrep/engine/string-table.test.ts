import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mixHash, STRING_TABLE_SEED, StringTable } from './string-table.js';

// A small alphabet, so that keys share prefixes and suffixes; at least 20 keys, so that the table grows.
const key = fc.string({ unit: fc.constantFrom('a', 'b', '.', '/', 'é', '0'), maxLength: 12 });

describe('StringTable', () => {
  it('answers like a Map, through growth, overwrites and keys that share hashes of their parts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.nat(1000)), { minLength: 20, maxLength: 300, size: 'max' }),
        fc.array(key, { maxLength: 50 }),
        (sets, misses) => {
          const table = new StringTable(false, 1);
          const map = new Map<string, number>();
          for (const [k, v] of sets) {
            assert.equal(table.set(k, v), map.get(k) ?? -1, 'set returns the value it replaced');
            map.set(k, v);
          }
          assert.equal(table.size, map.size);
          for (const k of [...map.keys(), ...misses]) assert.equal(table.get(k), map.get(k) ?? -1);
        },
      ),
    );
  });

  it('finds every suffix of a string from its running hash, as a right-to-left walk computes it', () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 100, size: 'max' }), key, (keys, text) => {
        const table = new StringTable(true, 4);
        for (const [i, k] of keys.entries()) table.set(k, i);
        let h = STRING_TABLE_SEED;
        for (let start = text.length - 1; start >= 0; start--) {
          h = mixHash(h, text.charCodeAt(start));
          const suffix = text.slice(start);
          assert.equal(table.probe(text, start, text.length, h), keys.indexOf(suffix));
        }
      }),
    );
  });
});
