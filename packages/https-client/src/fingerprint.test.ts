import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatFingerprint, normalizeFingerprint } from './fingerprint.js';

const sha256Hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));

test('every usual notation of a SHA-256 normalizes to the same 64 upper-case hex digits', () => {
  fc.assert(
    fc.property(sha256Hex, fc.constantFrom('', 'sha256:', 'SHA256=', ' '), fc.boolean(), (hex, prefix, upper) => {
      const expected = hex.toUpperCase();
      const written = upper ? hex.toUpperCase() : hex;
      assert.equal(normalizeFingerprint(`${prefix}${written}`), expected);
      assert.equal(normalizeFingerprint(`${prefix}${formatFingerprint(written)}`), expected);
      assert.equal(normalizeFingerprint(formatFingerprint(written).replaceAll(':', ' ')), expected);
    }),
  );
});

test('anything but 64 hex digits is not a fingerprint', () => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      const normalized = normalizeFingerprint(text);
      if (normalized !== null) assert.match(normalized, /^[0-9A-F]{64}$/);
    }),
  );
  for (const wrong of ['', 'AB'.repeat(31), 'AB'.repeat(33), `${'AB'.repeat(31)}ZZ`, 'md5:'.concat('ab'.repeat(32))])
    assert.equal(normalizeFingerprint(wrong), null, wrong);
});

test('formatted as openssl prints it', () => {
  assert.equal(formatFingerprint('ab01cd'), 'AB:01:CD');
});
