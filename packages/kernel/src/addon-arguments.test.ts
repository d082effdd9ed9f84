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

test('rawSend refuses what is not an IPv4/IPv6 packet with an error code, without sending', { skip }, () => {
  const addon = (loaded as { addon: NativeAddon }).addon;
  assert.ok(addon.rawSend(new Uint8Array(10)) < 0, 'too short');
  assert.ok(addon.rawSend(new Uint8Array(40).fill(0x50)) < 0, 'version 5');
  assert.throws(() => addon.rawSend(new Uint8Array(70_000)), TypeError);
});
