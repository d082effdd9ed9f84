import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseNotification } from './wake-relay-postgres.js';

const id = '6f1c1b4e-8a4e-4b8e-9d0c-0f4f7f0c2a11';

test('another node’s notification gives its computer ids; our own is ignored', () => {
  assert.deepEqual(parseNotification(JSON.stringify({ node: 'b', ids: [id] }), 'a'), [id]);
  assert.deepEqual(parseNotification(JSON.stringify({ node: 'a', ids: [id] }), 'a'), []);
});

test('malformed notifications and ids are dropped', () => {
  assert.deepEqual(parseNotification(JSON.stringify({ node: 'b', ids: [id, 'x', 7, null] }), 'a'), [id]);
  for (const payload of ['', 'null', '[]', '{"ids": "x"}', '{']) assert.deepEqual(parseNotification(payload, 'a'), []);
  fc.assert(
    fc.property(fc.string(), (payload) => {
      const ids = parseNotification(payload, 'a');
      assert.ok(Array.isArray(ids));
    }),
  );
});
