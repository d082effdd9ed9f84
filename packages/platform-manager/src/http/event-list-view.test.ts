import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredEvent } from '../services/events.js';
import { LISTED_DETAILS_MAX, LISTED_STRING_MAX, listedEvent } from './event-list-view.js';

const base: StoredEvent = {
  id: 'e1',
  computerId: 'c1',
  seq: 1,
  time: '2026-01-01T00:00:00.000Z',
  agentTime: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:00.000Z',
  module: 'loginspect',
  type: 'alert',
  severity: 'low',
  ruleId: null,
  action: null,
  summary: 's',
  details: null,
};

test('small details are listed as stored', () => {
  const event = { ...base, details: { fullLog: 'short', n: 3, list: ['a'] } };
  assert.deepEqual(listedEvent(event), { ...event, truncated: false });
  assert.deepEqual(listedEvent(base), { ...base, truncated: false });
});

test('long strings are cut with a mark, at any depth, and the event says it was truncated', () => {
  const long = 'x'.repeat(LISTED_STRING_MAX + 10);
  const listed = listedEvent({ ...base, details: { fullLog: long, nested: [{ line: long }], n: 1 } });
  assert.equal(listed.truncated, true);
  const details = listed.details as { fullLog: string; nested: { line: string }[]; n: number };
  assert.equal(details.fullLog, `${'x'.repeat(LISTED_STRING_MAX)}…`);
  assert.equal(details.nested[0]?.line, `${'x'.repeat(LISTED_STRING_MAX)}…`);
  assert.equal(details.n, 1);
});

test('a surrogate pair at the cut is not split', () => {
  const text = `${'x'.repeat(LISTED_STRING_MAX - 1)}\ud83d\ude00tail`;
  const details = listedEvent({ ...base, details: { text } }).details as { text: string };
  assert.equal(details.text, `${'x'.repeat(LISTED_STRING_MAX - 1)}…`);
});

test('details that stay too large after cutting are replaced by a note pointing to the event', () => {
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 'y'.repeat(LISTED_STRING_MAX)]));
  const listed = listedEvent({ ...base, details: many });
  assert.equal(listed.truncated, true);
  assert.ok(JSON.stringify(many).length > LISTED_DETAILS_MAX);
  assert.match(String((listed.details as { omitted: string }).omitted), /GET \/api\/events\/e1 has them/);
});
