import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadAddon, type NativeAddon } from './addon.js';

const loaded = loadAddon();
const skip = 'addon' in loaded ? undefined : loaded.reason;
if (skip) console.log(`# skipping addon argument tests: ${skip}`);

const calls: readonly (keyof NativeAddon)[] = [
  'queueVerdicts',
  'queueVerdictPayload',
  'queueStats',
  'queueClose',
  'rawSend',
  'logStats',
  'logClose',
  'fanMark',
  'fanRespond',
  'fanRead',
  'fanStats',
  'fanCachePut',
  'fanCacheClear',
  'fanRunners',
  'fanClose',
  'ueventStats',
  'ueventClose',
];

test('garbage arguments to the native functions throw TypeErrors, never crash', { skip }, () => {
  const addon = (loaded as { addon: NativeAddon }).addon;
  fc.assert(
    fc.property(fc.constantFrom(...calls), fc.array(fc.anything(), { maxLength: 6 }), (name, args) => {
      const fn = addon[name] as (...a: unknown[]) => unknown;
      try {
        fn(...args);
      } catch (error) {
        assert.ok(error instanceof Error, String(error));
      }
    }),
    { numRuns: 500 },
  );
});

test('an open fanotify group takes nonsense tickets, offsets and masks without harm', {
  skip: skip ?? (process.getuid?.() !== 0 ? 'needs root: fanotify_init' : undefined),
}, () => {
  const addon = (loaded as { addon: NativeAddon }).addon;
  const handle = addon.fanOpen({ deadlineMs: 50 }, () => {});
  try {
    fc.assert(
      fc.property(fc.double(), fc.double(), fc.nat(1 << 20), (ticket, offset, length) => {
        assert.equal(addon.fanRespond(handle, Float64Array.of(ticket), Uint8Array.of(1)), 1, 'nothing pending: late');
        try {
          assert.equal(addon.fanRead(handle, ticket, offset, length), null);
        } catch (error) {
          assert.ok(error instanceof RangeError);
        }
      }),
      { numRuns: 300 },
    );
    assert.throws(() => addon.fanMark(handle, false, 0, -1, '/'), RangeError);
    assert.throws(() => addon.queueStats(handle), TypeError, 'a fanotify handle is not a queue handle');
    assert.equal(addon.fanStats(handle).lateAnswers, 300);
  } finally {
    addon.fanClose(handle);
  }
});

test('the verdict cache and runner filter refuse bad stamps, paths and patterns, and stay within their size', {
  skip: skip ?? (process.getuid?.() !== 0 ? 'needs root: fanotify_init' : undefined),
}, () => {
  const addon = (loaded as { addon: NativeAddon }).addon;
  const handle = addon.fanOpen({ verdictCacheSize: 4 }, () => {});
  try {
    fc.assert(
      fc.property(
        fc.array(fc.double(), { minLength: 7, maxLength: 7 }),
        fc.string(),
        fc.nat(),
        (stamp, path, flags) => {
          try {
            addon.fanCachePut(handle, Float64Array.from(stamp), path, flags);
          } catch (error) {
            assert.ok(error instanceof RangeError, String(error));
          }
          assert.ok((addon.fanStats(handle).cacheEntries ?? 0) <= 4);
        },
      ),
      { numRuns: 300 },
    );
    assert.throws(() => addon.fanCachePut(handle, new Float64Array(6), '/x', 1), TypeError, 'six fields');
    assert.throws(
      () => addon.fanCachePut(handle, new Float64Array(7), 'x'.repeat(5000), 1),
      TypeError,
      'path too long',
    );
    assert.throws(() => addon.fanRunners(handle, ['(']), TypeError);
    assert.throws(() => addon.fanRunners(handle, [1 as unknown as string]), TypeError);
    assert.throws(() => addon.fanRunners(handle, new Array(300).fill('^sh$')), TypeError, 'at most 256');
    addon.fanRunners(handle, ['^sh$']);
    addon.fanRunners(handle, null);
    addon.fanCacheClear(handle);
    assert.equal(addon.fanStats(handle).cacheEntries, 0);
  } finally {
    addon.fanClose(handle);
  }
});

test('rawSend refuses what is not an IPv4/IPv6 packet with an error code, without sending', { skip }, () => {
  const addon = (loaded as { addon: NativeAddon }).addon;
  assert.ok(addon.rawSend(new Uint8Array(10)) < 0, 'too short');
  assert.ok(addon.rawSend(new Uint8Array(40).fill(0x50)) < 0, 'version 5');
  assert.throws(() => addon.rawSend(new Uint8Array(70_000)), TypeError);
});
