import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ReassembledPiece, StreamReassembler } from './stream-reassembler.js';

const text = (pieces: readonly ReassembledPiece[]) => pieces.map((p) => new TextDecoder().decode(p.bytes)).join('');
const bytes = (s: string) => new TextEncoder().encode(s);
const roomy = { maxBytes: 1 << 20, maxSegments: 1000 };

test('in-order segments come out at once', () => {
  const r = new StreamReassembler(roomy);
  r.start(1000);
  assert.equal(text(r.push(1000, bytes('GET '))), 'GET ');
  assert.equal(text(r.push(1004, bytes('/ HTTP'))), '/ HTTP');
});

test('out-of-order segments are held until the hole fills', () => {
  const r = new StreamReassembler(roomy);
  r.start(0);
  assert.equal(text(r.push(3, bytes('def'))), '');
  assert.equal(r.heldBytes, 3);
  assert.equal(text(r.push(0, bytes('abc'))), 'abcdef');
  assert.equal(r.heldBytes, 0);
});

test('retransmissions are dropped and counted', () => {
  const r = new StreamReassembler(roomy);
  r.start(0);
  r.push(0, bytes('abcdef'));
  assert.equal(text(r.push(2, bytes('cdefgh'))), 'gh');
  assert.equal(r.counters.retransmittedBytes, 4);
  assert.equal(r.counters.overlapConflicts, 0);
});

test('overlap policy is first-wins: a later segment never replaces bytes already taken', () => {
  const r = new StreamReassembler(roomy);
  r.start(0);
  r.push(4, bytes('EVIL'));
  // The second copy of offsets 4..7 disagrees: the first (held) copy is kept, the conflict counted.
  assert.equal(text(r.push(0, bytes('abcdGOOD'))), 'abcdEVIL');
  assert.equal(r.counters.overlapConflicts, 1);
});

test('sequence numbers wrap around 2^32', () => {
  const r = new StreamReassembler(roomy);
  r.start(0xfffffffe);
  assert.equal(text(r.push(0xfffffffe, bytes('ab'))), 'ab');
  assert.equal(text(r.push(0, bytes('cd'))), 'cd');
  assert.equal(r.nextOffset, 4);
});

test('beyond the held-bytes bound the hole is given up as a counted gap', () => {
  const r = new StreamReassembler({ maxBytes: 8, maxSegments: 10 });
  r.start(0);
  assert.equal(text(r.push(10, bytes('12345'))), '');
  const out = r.push(15, bytes('6789'));
  assert.equal(text(out), '123456789');
  assert.equal(out[0]?.gapBefore, 10);
  assert.equal(r.counters.gaps, 1);
  assert.equal(r.counters.gapBytes, 10);
  assert.equal(r.heldBytes, 0);
});

test('property: any permutation with duplicates of the segments gives back the original stream', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.infiniteStream(fc.nat()),
      (stream, cuts, isn, duplicates, order) => {
        const segments: { offset: number; bytes: Uint8Array }[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length] ?? 1;
          segments.push({ offset: at, bytes: stream.subarray(at, at + n) });
          at += n;
        }
        for (const d of duplicates) {
          const s = segments[d % segments.length];
          if (s) segments.push(s);
        }
        // Shuffle with the generated order.
        const it = order[Symbol.iterator]();
        for (let i = segments.length - 1; i > 0; i--) {
          const j = (it.next().value as number) % (i + 1);
          [segments[i], segments[j]] = [segments[j] as (typeof segments)[0], segments[i] as (typeof segments)[0]];
        }
        const r = new StreamReassembler(roomy);
        r.start(isn);
        const out: number[] = [];
        for (const s of segments) for (const p of r.push((isn + s.offset) >>> 0, s.bytes)) out.push(...p.bytes);
        assert.deepEqual(Uint8Array.from(out), stream);
        assert.equal(r.heldBytes, 0);
        assert.equal(r.counters.gaps, 0);
      },
    ),
    { numRuns: 500 },
  );
});

test('property: garbage sequence numbers never throw and memory stays under the bound', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 64 })), { maxLength: 60 }),
      (segments) => {
        const r = new StreamReassembler({ maxBytes: 256, maxSegments: 8 });
        for (const [seq, b] of segments) {
          r.push(seq, b);
          assert.ok(r.heldBytes <= 256 + 64);
        }
      },
    ),
    { numRuns: 500 },
  );
});
