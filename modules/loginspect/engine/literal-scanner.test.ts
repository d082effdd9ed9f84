import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LiteralCatalogue, LiteralHits, LiteralScanner } from './literal-scanner.js';

function scanned(texts: readonly string[], line: string): boolean[] {
  const catalogue = new LiteralCatalogue();
  const ids = texts.map((t) => catalogue.add(t));
  const scanner = new LiteralScanner(catalogue.texts);
  const hits = new LiteralHits(scanner.size);
  scanner.scan(line, hits, (s) => s.toLowerCase());
  return ids.map((id) => id >= 0 && hits.has(id));
}

test('marks every text the line contains, overlapping and nested ones included', () => {
  assert.deepEqual(scanned(['he', 'she', 'his', 'hers', 'rs', 'sh', 'xy'], 'ushers'), [
    true,
    true,
    false,
    true,
    true,
    true,
    false,
  ]);
  assert.deepEqual(scanned(['failed password', 'password', 'invalid user'], 'failed password for root'), [
    true,
    true,
    false,
  ]);
});

test('non-ASCII characters in the line reset the search; non-ASCII texts are not catalogued', () => {
  assert.deepEqual(scanned(['ab', 'b '], 'aé b '), [false, true]);
  const catalogue = new LiteralCatalogue();
  assert.equal(catalogue.add('café'), -1);
  assert.equal(catalogue.add(''), -1);
  assert.equal(catalogue.add('x'), -1, 'single letters are in nearly every line: not worth a filter');
  assert.equal(catalogue.add(' '), -1);
  assert.equal(catalogue.add('cafe'), 0);
  assert.equal(catalogue.add('cafe'), 0);
  assert.equal(catalogue.add('%'), 1, 'a punctuation character can be rare');
});

test('a long text is looked for by its first ten characters', () => {
  assert.deepEqual(scanned(['authentication failure'], 'pam: authentic'), [false]);
  // A necessary condition only: the prefix is found though the whole text is not there.
  assert.deepEqual(scanned(['authentication failure'], 'pam: authentication ok'), [true]);
});

test('a filter passes when one alternative has all its texts; a text-less alternative disables it', () => {
  const catalogue = new LiteralCatalogue();
  const filter = catalogue.filter([
    ['sshd', 'failed'],
    ['accepted', 'for'],
  ]);
  assert.ok(filter);
  assert.equal(catalogue.filter([['x'], ['é']]), undefined);
  assert.equal(catalogue.filter(undefined), undefined);
  const scanner = new LiteralScanner(catalogue.texts);
  const hits = new LiteralHits(scanner.size);
  scanner.scan('sshd: accepted password for bob', hits, (s) => s.toLowerCase());
  assert.equal(hits.passes(filter), true);
  scanner.scan('sshd: failed password', hits, (s) => s.toLowerCase());
  assert.equal(hits.passes(filter), true);
  scanner.scan('sshd: session opened', hits, (s) => s.toLowerCase());
  assert.equal(hits.passes(filter), false);
});

test('agrees with String.includes on the lower-cased line for any lower-case texts and line', () => {
  // The Kelvin sign (U+212A) lower-cases to an ASCII "k".
  const alphabet = fc.constantFrom('a', 'b', 'c', 'k', ' ', ':', 'é', 'A', 'K', '\u212a');
  const word = fc.array(alphabet, { minLength: 0, maxLength: 6 }).map((a) => a.join('').toLowerCase());
  fc.assert(
    fc.property(fc.array(word, { maxLength: 12 }), fc.array(alphabet, { maxLength: 40 }), (texts, chars) => {
      const line = chars.join('');
      const got = scanned(texts, line);
      texts.forEach((t, i) => {
        const scannable = (t.length > 1 || t === ':') && [...t].every((c) => c.charCodeAt(0) < 128);
        const found = scannable && line.toLowerCase().includes(t);
        assert.equal(got[i], found, `${JSON.stringify(t)} in ${JSON.stringify(line)}`);
      });
    }),
    { numRuns: 1000 },
  );
});

test('upper-case ASCII is found without lower-casing; a non-ASCII line is lower-cased first', () => {
  assert.deepEqual(scanned(['failed', 'kelvin'], 'FAILED for \u212aELVIN'), [true, true]);
  assert.deepEqual(scanned(['failed', 'kelvin'], 'Failed for KELVIN'), [true, true]);
});
