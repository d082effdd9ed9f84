import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { asciiLower } from './suricata-text.js';

/** The definition: A-Z lowered, every other character (Latin-1 letters included) left as it is. */
const reference = (s: string) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));

test('asciiLower lowers only A-Z, in ASCII, Latin-1 (packet bytes) and wider text', () => {
  assert.equal(asciiLower('GET /ÀB?Q=É'), 'get /Àb?q=É');
  assert.equal(asciiLower('İSTANBUL'), 'İstanbul');
  for (const unit of ['binary-ascii', 'grapheme-ascii', 'grapheme', 'binary'] as const) {
    fc.assert(
      fc.property(fc.string({ unit }), (s) => asciiLower(s) === reference(s)),
      { numRuns: 300 },
    );
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const s = Buffer.from(bytes).toString('latin1');
      return asciiLower(s) === reference(s);
    }),
  );
});
