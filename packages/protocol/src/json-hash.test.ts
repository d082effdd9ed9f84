import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, contentHash } from './json-hash.js';

describe('canonicalJson', () => {
  it('does not depend on key order', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }),
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
  });

  it('gives equal hashes for objects equal up to key order, different for different content', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        assert.equal(contentHash(obj), contentHash(reversed));
        assert.notEqual(contentHash(obj), contentHash({ ...obj, '\u0000extra': 1 }));
      }),
    );
  });
});
