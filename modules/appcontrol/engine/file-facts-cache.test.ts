import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FileFactsCache, type FileStamp, SETTLE_MS, settledAt } from './file-facts-cache.js';

const stamp = (over: Partial<FileStamp> = {}): FileStamp => ({
  dev: 1,
  ino: 2,
  size: 100,
  mtimeSec: 10,
  mtimeNsec: 5,
  ctimeSec: 10,
  ctimeNsec: 5,
  ...over,
});
const facts = { sha256: 'a'.repeat(64), kind: 'elf' as const };
const later = 20_000 + SETTLE_MS;

test('a file is found again only while inode, size, mtime and ctime are the same', () => {
  const cache = new FileFactsCache();
  assert.equal(cache.set(stamp(), facts, later), true);
  assert.deepEqual(cache.get(stamp()), facts);
  assert.equal(cache.get(stamp({ size: 101 })), undefined, 'rewritten with another size');
  assert.equal(cache.get(stamp({ mtimeNsec: 6 })), undefined, 'rewritten in place');
  assert.equal(cache.get(stamp({ ctimeSec: 11 })), undefined, 'changed (chmod, rename over, utimes back)');
  assert.equal(cache.get(stamp({ ino: 3 })), undefined, 'renamed over: another inode');
  assert.deepEqual(cache.counters(), { cacheHits: 1, cacheMisses: 4, cachedFiles: 1 });
});

test('a file changed in the last SETTLE_MS is not cached (coarse timestamps)', () => {
  const cache = new FileFactsCache();
  assert.equal(cache.set(stamp(), facts, 10_000 + SETTLE_MS - 1), false);
  assert.equal(cache.get(stamp()), undefined);
  assert.equal(cache.set(stamp({ mtimeSec: 99 }), facts, later), false, 'mtime in the future');
});

test('the cache is bounded: the oldest entry goes first', () => {
  const cache = new FileFactsCache(2);
  cache.set(stamp({ ino: 1 }), facts, later);
  cache.set(stamp({ ino: 2 }), facts, later);
  cache.set(stamp({ ino: 3 }), facts, later);
  assert.equal(cache.size, 2);
  assert.equal(cache.get(stamp({ ino: 1 })), undefined);
  assert.deepEqual(cache.get(stamp({ ino: 3 })), facts);
});

test('settledAt: a stamp keys a cache only once its ctime is SETTLE_MS old and its mtime not ahead', () => {
  const ctimeMs = 10_000.000005;
  assert.equal(settledAt(stamp(), ctimeMs + SETTLE_MS), true);
  assert.equal(settledAt(stamp(), ctimeMs + SETTLE_MS - 1), false);
  assert.equal(settledAt(stamp({ mtimeSec: 30 }), 20_000 + SETTLE_MS), false, 'mtime ahead of the clock');
  fc.assert(
    fc.property(fc.nat(1e9), fc.nat(999_999_999), fc.nat(1e12), (sec, nsec, at) => {
      const s = stamp({ ctimeSec: sec, ctimeNsec: nsec, mtimeSec: sec, mtimeNsec: nsec });
      // Settled exactly when the lookup is SETTLE_MS or more after the change.
      return settledAt(s, at) === at - (sec * 1000 + nsec / 1e6) >= SETTLE_MS;
    }),
  );
});
