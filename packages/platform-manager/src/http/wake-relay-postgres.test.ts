import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseNotification } from './wake-relay-postgres.js';

const id = '6f1c1b4e-8a4e-4b8e-9d0c-0f4f7f0c2a11';

test('another node’s notification gives its computer ids; our own is ignored', () => {
  assert.deepEqual(parseNotification(JSON.stringify({ node: 'b', ids: [id] }), 'a').ids, [id]);
  assert.deepEqual(parseNotification(JSON.stringify({ node: 'a', ids: [id] }), 'a').ids, []);
});

test('a wake may ask who holds the poll; only the asking node takes the answer', () => {
  assert.deepEqual(parseNotification(JSON.stringify({ node: 'b', ids: [id], request: 'q7' }), 'a'), {
    kind: 'wake',
    from: 'b',
    ids: [id],
    request: 'q7',
  });
  const answer = JSON.stringify({ node: 'b', answers: 'q7', toNode: 'a', ids: [id] });
  assert.deepEqual(parseNotification(answer, 'a'), { kind: 'answer', request: 'q7', ids: [id] });
  assert.deepEqual(parseNotification(answer, 'c').ids, [], 'an answer for another node is nothing here');
  assert.equal(parseNotification(JSON.stringify({ node: 'b', ids: [id], request: 'x; DROP' }), 'a').kind, 'wake');
  assert.equal('request' in parseNotification(JSON.stringify({ node: 'b', ids: [id], request: 'x' }), 'a'), false);
});

test('malformed notifications and ids are dropped', () => {
  assert.deepEqual(parseNotification(JSON.stringify({ node: 'b', ids: [id, 'x', 7, null] }), 'a').ids, [id]);
  for (const payload of ['', 'null', '[]', '{"ids": "x"}', '{'])
    assert.deepEqual(parseNotification(payload, 'a').ids, []);
  fc.assert(
    fc.property(fc.string(), (payload) => {
      assert.ok(Array.isArray(parseNotification(payload, 'a').ids));
    }),
  );
});
