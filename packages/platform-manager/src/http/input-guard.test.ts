import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { inputProblem, MAX_JSON_DEPTH } from './input-guard.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

test('NUL and lone surrogates are found in values and member names, with their path', () => {
  assert.deepEqual(inputProblem({ name: 'a\u0000b' }, 'body'), {
    path: 'body/name',
    message: 'holds a NUL character (U+0000) at offset 1; remove it',
  });
  assert.equal(inputProblem({ list: ['ok', 'x\ud800'] }, 'body')?.path, 'body/list/1');
  assert.equal(inputProblem({ list: ['\udc00y'] }, 'body')?.path, 'body/list/0');
  assert.match(inputProblem({ 'a/\u0000': 1 }, 'body')?.message ?? '', /^member name holds a NUL/);
  assert.equal(inputProblem({ 'a/\u0000': 1 }, 'body')?.path, 'body/a~1\u0000');
});

test('valid Unicode, surrogate pairs included, and ordinary control characters pass', () => {
  assert.equal(inputProblem({ name: 'caf\u00e9 \ud83d\ude00 \t\n\u0001' }, 'body'), null);
  assert.equal(inputProblem(undefined, 'body'), null);
  assert.equal(inputProblem('plain', 'params'), null);
});

test(`JSON nested up to ${MAX_JSON_DEPTH} levels passes; deeper is refused without recursion`, () => {
  assert.equal(inputProblem(nested(MAX_JSON_DEPTH), 'body'), null);
  assert.match(inputProblem(nested(MAX_JSON_DEPTH + 1), 'body')?.message ?? '', /nested more than 64/);
  assert.match(inputProblem(nested(200_000), 'body')?.message ?? '', /nested more than 64/);
});

test('any JSON value: a problem is reported exactly when a string holds NUL or a lone surrogate', () => {
  // Mostly ordinary text, with NUL, both surrogate halves and valid pairs mixed in.
  const unit = fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom('a', '/', '~', '\u00e9') },
    fc.constantFrom('\u0000', '\ud800', '\udc00', '\ud83d\ude00'),
  );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this looks for
  const bad = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: unit }), (value) => {
      const text = JSON.stringify(value);
      const strings: string[] = [];
      JSON.parse(text, (key, v) => {
        strings.push(key);
        if (typeof v === 'string') strings.push(v);
        return v;
      });
      assert.equal(
        inputProblem(value, 'body') !== null,
        strings.some((s) => bad.test(s)),
      );
    }),
    { numRuns: 300 },
  );
});

test('opaque paths skip the string check but not the depth check', () => {
  const opaque = /^body\/events\/\d+\/details(\/|$)/;
  const event = { summary: 'ok', details: { 'k\u0000': 'line with \u0000 and \ud800' } };
  assert.equal(inputProblem({ events: [event] }, 'body', opaque), null);
  assert.equal(
    inputProblem({ events: [{ ...event, summary: 'a\u0000' }] }, 'body', opaque)?.path,
    'body/events/0/summary',
  );
  assert.match(
    inputProblem({ events: [{ details: nested(MAX_JSON_DEPTH) }] }, 'body', opaque)?.message ?? '',
    /nested more than/,
  );
});
