import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatActivationToken, parseActivationToken } from './activation-token.js';

const credential = `bwt_0d3c1a52-8c1e-4c7a-9a57-5b1f0c2d3e4f_${'A'.repeat(43)}`;
const fingerprint = 'AB:'.repeat(31).concat('CD');

test('a token carries the CA fingerprint and splits back into credential and fingerprint', () => {
  const token = formatActivationToken(credential, fingerprint);
  assert.equal(token, `${credential}.${'ab'.repeat(31)}cd`);
  assert.deepEqual(parseActivationToken(token), { credential, caSha256: `${'AB'.repeat(31)}CD` });
});

test('a token without a fingerprint (an older manager) comes back whole', () => {
  assert.deepEqual(parseActivationToken(` ${credential} `), { credential, caSha256: null });
});

test('a fingerprint that is not a SHA-256 is refused when formatting', () => {
  assert.throws(() => formatActivationToken(credential, 'abc'), /SHA-256/);
});

test('parsing never throws and never invents a fingerprint', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      const parts = parseActivationToken(text);
      if (parts.caSha256 !== null) assert.match(parts.caSha256, /^[0-9A-F]{64}$/);
      else assert.equal(parts.credential, text.trim());
    }),
  );
});
