import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Interval, type LabelledBox, partition } from './box-partition.js';

const all = (ords: readonly number[]) => ords.join(',');

test('overlapping boxes become disjoint cells labelled with every box that covers them', () => {
  const boxes: LabelledBox[] = [
    {
      box: [
        [0n, 9n],
        [80n, 90n],
      ],
      ord: 0,
    },
    {
      box: [
        [5n, 5n],
        [85n, 95n],
      ],
      ord: 1,
    },
  ];
  const cells = partition(boxes, all).map((c) => `${c.box.map(([l, h]) => `${l}-${h}`).join(' . ')} : ${c.ords}`);
  assert.deepEqual(cells, [
    '0-4 . 80-90 : 0',
    '5-5 . 80-84 : 0',
    '5-5 . 85-90 : 0,1',
    '5-5 . 91-95 : 1',
    '6-9 . 80-90 : 0',
  ]);
});

test('neighbours with the same label join: one accept set needs no split at all', () => {
  const boxes: LabelledBox[] = [
    {
      box: [
        [0n, 9n],
        [80n, 90n],
      ],
      ord: 0,
    },
    {
      box: [
        [0n, 9n],
        [85n, 95n],
      ],
      ord: 1,
    },
    {
      box: [
        [10n, 19n],
        [80n, 95n],
      ],
      ord: 2,
    },
  ];
  assert.deepEqual(
    partition(boxes, () => 'a').map((c) => c.box),
    [
      [
        [0n, 19n],
        [80n, 95n],
      ],
    ],
  );
});

test('property: cells are disjoint and each point is covered by exactly the boxes the labels name', () => {
  const interval = fc
    .tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 5 }))
    .map(([a, n]): Interval => [BigInt(a), BigInt(a + n)]);
  const box = fc.tuple(interval, interval);
  fc.assert(
    fc.property(fc.array(box, { minLength: 1, maxLength: 10 }), fc.boolean(), (raw, firstOnly) => {
      const boxes = raw.map((b, ord) => ({ box: b, ord }));
      const label = firstOnly ? (o: readonly number[]) => String(o[0]) : all;
      const cells = partition(boxes, label);
      const inside = (b: readonly Interval[], x: bigint, y: bigint) =>
        (b[0] as Interval)[0] <= x &&
        x <= (b[0] as Interval)[1] &&
        (b[1] as Interval)[0] <= y &&
        y <= (b[1] as Interval)[1];
      for (let x = 0n; x <= 18n; x++)
        for (let y = 0n; y <= 18n; y++) {
          const covering = boxes.filter((b) => inside(b.box, x, y)).map((b) => b.ord);
          const hits = cells.filter((c) => inside(c.box, x, y));
          assert.ok(hits.length <= 1, `(${x}, ${y}) in ${hits.length} cells`);
          if (covering.length === 0) assert.equal(hits.length, 0);
          else assert.equal(label(hits[0]?.ords ?? []), label(covering), `(${x}, ${y})`);
        }
    }),
  );
});
