import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LineSplitter, type SplitLine } from './line-splitter.js';
import { MultilineJoiner } from './multiline.js';

function splitAll(chunks: Buffer[], max?: number, start = 0): SplitLine[] {
  const s = new LineSplitter(start, max);
  const out: SplitLine[] = [];
  for (const c of chunks) s.push(c, (l) => out.push(l));
  return out;
}

test('lines split at any chunk boundary decode the same, multi-byte characters included', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
      (lines, cuts) => {
        const whole = Buffer.from(lines.map((l) => `${l.replace(/[\r\n]/g, '')}\n`).join(''), 'utf8');
        const chunks: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < whole.length; i++) {
          const n = cuts[i % cuts.length] as number;
          chunks.push(whole.subarray(at, at + n));
          at += n;
        }
        const got = splitAll(chunks);
        assert.deepEqual(
          got.map((l) => l.text),
          lines.map((l) => l.replace(/[\r\n]/g, '')),
        );
        assert.equal(got.at(-1)?.end ?? 0, whole.length);
      },
    ),
  );
});

test('a megabyte line is cut at the cap, at a character boundary, marked, and the next line is whole', () => {
  const big = `${'é'.repeat(600_000)}`; // 1.2 MB of two-byte characters
  const data = Buffer.from(`${big}\nnext\n`, 'utf8');
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 65_537) chunks.push(data.subarray(at, at + 65_537));
  const got = splitAll(chunks, 65_536);
  assert.equal(got.length, 2);
  assert.equal(got[0]?.truncated, true);
  assert.equal(got[0]?.text, 'é'.repeat(32_768));
  assert.equal(got[0]?.end, Buffer.byteLength(big) + 1);
  assert.deepEqual({ text: got[1]?.text, truncated: got[1]?.truncated }, { text: 'next', truncated: false });
  // Odd cap: the cut falls inside a character, which is left out whole.
  const odd = splitAll([Buffer.from('aéé\n')], 4);
  assert.equal(odd[0]?.text, 'aé');
});

test('offsets start where reading started; CRLF loses its CR; finish() yields the unfinished line', () => {
  const s = new LineSplitter(100);
  const out: SplitLine[] = [];
  s.push(Buffer.from('a\r\nbc'), (l) => out.push(l));
  assert.deepEqual(out, [{ text: 'a', end: 103, truncated: false }]);
  assert.equal(s.hasPartial, true);
  s.finish((l) => out.push(l));
  assert.deepEqual(out[1], { text: 'bc', end: 105, truncated: false });
});

test('multi-line: `after` joins continuation lines, `before` joins lines that continue, timeout and maxLines pass records on', () => {
  const lines = (texts: string[]) => {
    let end = 0;
    return texts.map((text) => {
      const start = end;
      end += Buffer.byteLength(text) + 1;
      return { line: { text, end, truncated: false }, start };
    });
  };
  const after = new MultilineJoiner({ pattern: '^\\s', match: 'after' }, 65_536);
  const got: string[] = [];
  for (const { line, start } of lines(['Exception x', '  at a', '  at b', 'next', '  at c']))
    after.push(line, start, 0, (r) => got.push(r.text));
  assert.deepEqual(got, ['Exception x   at a   at b']);
  assert.equal(after.pendingStart, Buffer.byteLength('Exception x\n  at a\n  at b\n'));
  after.flushIfStale(2999, (r) => got.push(r.text));
  assert.equal(got.length, 1, 'not stale yet');
  after.flushIfStale(3000, (r) => got.push(r.text));
  assert.deepEqual(got.slice(1), ['next   at c']);
  assert.equal(after.pendingStart, undefined);

  const before = new MultilineJoiner({ pattern: '\\\\$', match: 'before', maxLines: 3 }, 65_536);
  const got2: string[] = [];
  for (const { line, start } of lines(['a \\', 'b \\', 'c', 'd \\', 'e \\', 'f \\', 'g']))
    before.push(line, start, 0, (r) => got2.push(r.text));
  assert.deepEqual(got2, ['a \\ b \\ c', 'd \\ e \\ f \\', 'g']);

  const negate = new MultilineJoiner({ pattern: '^\\d{4}-', match: 'after', negate: true }, 20);
  const got3: { text: string; truncated: boolean }[] = [];
  for (const { line, start } of lines(['2026-01-01 one', 'two', 'three', '2026-01-02 x']))
    negate.push(line, start, 0, (r) => got3.push({ text: r.text, truncated: r.truncated }));
  assert.deepEqual(got3, [{ text: '2026-01-01 one two t', truncated: true }]);
});

test('lines read whole from one chunk are the same as lines assembled byte by byte (\\r, the cap)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 12 }),
      fc.integer({ min: 1, max: 16 }),
      fc.boolean(),
      (lines, max, crlf) => {
        const whole = Buffer.from(lines.map((l) => `${l.replace(/\n/g, '')}${crlf ? '\r' : ''}\n`).join(''), 'utf8');
        const bytes = [...whole].map((b) => Buffer.from([b]));
        assert.deepEqual(splitAll([whole], max), splitAll(bytes, max));
      },
    ),
    { numRuns: 500 },
  );
});
