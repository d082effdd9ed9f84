import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import type { Services } from './http/service-types.js';
import { eventRetention, every } from './manager-schedules.js';

function recordingLog(): FastifyBaseLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = {
    lines,
    error: (_fields: unknown, message: string) => lines.push(`error ${message}`),
    warn: (_fields: unknown, message: string) => lines.push(`warn ${message}`),
    info: (_fields: unknown, message: string) => lines.push(`info ${message}`),
  };
  return log as unknown as FastifyBaseLogger & { lines: string[] };
}

test('retention deletes events older than the cutoff at start, and does nothing when 0', async () => {
  const cutoffs: string[] = [];
  const services = {
    events: {
      deleteOlderThan: async (before: string) => {
        cutoffs.push(before);
        return { ok: true as const, value: { deleted: 2 } };
      },
    },
  } as unknown as Services;
  const now = Date.parse('2026-06-01T00:00:00.000Z');
  const log = recordingLog();
  const schedule = eventRetention(services, 30, log, () => now);
  await schedule.stop();
  assert.deepEqual(cutoffs, ['2026-05-02T00:00:00.000Z']);
  assert.deepEqual(log.lines, ['info old events deleted']);
  await eventRetention(services, 0, log, () => now).stop();
  assert.equal(cutoffs.length, 1);
});

test('a failing run is logged, not thrown, and stop waits for the run in flight', async () => {
  const log = recordingLog();
  let finished = false;
  const schedule = every(
    3_600_000,
    'demo',
    log,
    async () => {
      await new Promise((resolve) => setImmediate(resolve));
      finished = true;
      throw new Error('database gone');
    },
    { runNow: true },
  );
  await schedule.stop();
  assert.equal(finished, true);
  assert.deepEqual(log.lines, ['error demo failed']);
});
