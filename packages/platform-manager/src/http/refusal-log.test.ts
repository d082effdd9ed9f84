import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { RefusalLog } from './refusal-log.js';

test('the first refusal of a kind is logged at once; alike ones in the window are counted on the next line', () => {
  const lines: [Record<string, unknown>, string][] = [];
  const log = { warn: (fields: Record<string, unknown>, message: string) => lines.push([fields, message]) };
  let now = 0;
  const refusals = new RefusalLog(log as unknown as FastifyBaseLogger, 10_000, () => now);
  refusals.note('client certificate refused', { address: 'a' });
  for (let i = 0; i < 5; i++) refusals.note('client certificate refused', { address: 'b' });
  refusals.note('TLS handshake failed', { address: 'c' });
  assert.equal(lines.length, 2);
  now += 10_000;
  refusals.note('client certificate refused', { address: 'd' });
  assert.deepEqual(lines[2], [{ address: 'd', alikeNotLogged: 5 }, 'client certificate refused']);
});
