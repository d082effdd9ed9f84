import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentEvent, Severity } from '@bulwark/protocol';
import { testStores } from '../storage/test-stores.js';
import type { StoredEvent } from './events.js';
import type { Page } from './pagination.js';
import { activateComputer, must, mustFail, openTestServices, type TestServices } from './test-services.js';

const SEVERITY_CYCLE: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

function makeEvents(from: number, count: number, baseMs: number): AgentEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    return {
      seq,
      time: new Date(baseMs + seq * 1000).toISOString(),
      module: seq % 2 === 0 ? 'firewall' : 'ips',
      type: seq % 3 === 0 ? 'deny' : 'detect',
      severity: SEVERITY_CYCLE[seq % 5] as Severity,
      ...(seq % 4 === 0 ? { ruleId: `rule-${seq % 8}` } : {}),
      action: 'Reset',
      summary: `event ${seq}`,
      details: { seq, nested: { ok: true } },
    };
  });
}

async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}

for (const testStore of await testStores()) {
  describe(`events (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    let one: string;
    let two: string;
    // Just after the test clock (START): agent times within the window are kept as sent.
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    before(async () => {
      t = await openTestServices(testStore);
      one = await activateComputer(t.services, 'events-one');
      two = await activateComputer(t.services, 'events-two');
    });
    after(async () => {
      await t?.close();
    });

    it('stores a batch once: sending it again counts duplicates and stores nothing twice', async () => {
      const { events } = t.services;
      const batch = makeEvents(1, 120, base);
      assert.deepEqual(must(await events.ingest(one, batch)), { accepted: 120, duplicates: 0 });
      assert.deepEqual(must(await events.ingest(one, batch)), { accepted: 0, duplicates: 120 });
      // Overlapping batch: 20 old + 30 new; and a duplicate seq inside one batch.
      const overlap = makeEvents(101, 50, base);
      assert.deepEqual(must(await events.ingest(one, overlap)), { accepted: 30, duplicates: 20 });
      const withRepeat = [...makeEvents(151, 2, base), ...makeEvents(151, 1, base)];
      assert.deepEqual(must(await events.ingest(one, withRepeat)), { accepted: 2, duplicates: 1 });
      // The same seq from another computer is a different event.
      assert.deepEqual(must(await events.ingest(two, makeEvents(1, 10, base))), { accepted: 10, duplicates: 0 });
      const all = await collect(must(events.export({ computerId: one })));
      assert.equal(all.length, 152);
      assert.equal(new Set(all.map((e) => e.seq)).size, 152);
      mustFail(await events.ingest('00000000-0000-4000-8000-000000000000', batch), 'not-found');
      assert.deepEqual(must(await events.ingest(one, [])), { accepted: 0, duplicates: 0 });
    });

    it('keeps every field of an event', async () => {
      const page = must(await t.services.events.query({ computerId: one, limit: 500 }));
      const event = page.items.find((e) => e.seq === 8);
      assert.deepEqual(
        { ...event, id: undefined, receivedAt: undefined },
        {
          id: undefined,
          receivedAt: undefined,
          computerId: one,
          seq: 8,
          time: new Date(base + 8000).toISOString(),
          agentTime: new Date(base + 8000).toISOString(),
          module: 'firewall',
          type: 'detect',
          severity: 'high',
          ruleId: 'rule-0',
          action: 'Reset',
          summary: 'event 8',
          details: { seq: 8, nested: { ok: true } },
          computerName: 'events-one',
          assignableRuleId: null,
        },
      );
    });

    it('filters by time, computer, module, rule, type and minimum severity', async () => {
      const { events } = t.services;
      const query = async (filter: Parameters<typeof events.query>[0]) =>
        must(await events.query({ limit: 500, ...filter })).items;
      const expectSeqs = (items: StoredEvent[], predicate: (seq: number) => boolean, computerId = one) => {
        const expected = Array.from({ length: 152 }, (_, i) => i + 1)
          .filter(predicate)
          .reverse();
        assert.deepEqual(
          items.filter((e) => e.computerId === computerId).map((e) => e.seq),
          expected,
        );
      };
      expectSeqs(await query({ computerId: one, module: 'firewall' }), (s) => s % 2 === 0);
      expectSeqs(await query({ computerId: one, type: 'deny' }), (s) => s % 3 === 0);
      expectSeqs(await query({ computerId: one, ruleId: 'rule-4' }), (s) => s % 8 === 4);
      expectSeqs(await query({ computerId: one, severity: 'high' }), (s) => s % 5 >= 3);
      expectSeqs(
        await query({
          computerId: one,
          from: new Date(base + 10_000).toISOString(),
          to: new Date(base + 20_000).toISOString(),
        }),
        (s) => s >= 10 && s < 20,
      );
      const both = await query({ to: new Date(base + 3_000).toISOString() });
      assert.deepEqual(both.map((e) => e.seq).sort(), [1, 1, 2, 2]);
      assert.equal((await query({ computerId: two })).length, 10);
      mustFail(await events.query({ from: 'yesterday' }), 'validation', /ISO 8601/);
      mustFail(await events.query({ severity: 'urgent' as Severity }), 'validation');
    });

    it('pages newest first with an opaque cursor, visiting each event once', async () => {
      const { events } = t.services;
      const seen: StoredEvent[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<StoredEvent> = must(await events.query({ computerId: one, limit: 25, cursor }));
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (cursor !== null) assert.doesNotMatch(cursor, /[^A-Za-z0-9_-]/);
      } while (cursor !== null);
      assert.equal(seen.length, 152);
      const seqs = seen.map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => b - a),
      );
      mustFail(await events.query({ cursor: 'bogus!' }), 'validation');
    });

    it('pages events with equal times in a stable order', async () => {
      const { events } = t.services;
      const sameTime = Array.from({ length: 7 }, (_, i) => ({
        seq: 1000 + i,
        time: '2026-03-01T00:00:00.000Z',
        module: 'tie',
        type: 't',
        severity: 'info' as const,
        summary: `tie ${i}`,
      }));
      must(await events.ingest(two, sameTime));
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<StoredEvent> = must(await events.query({ module: 'tie', limit: 3, cursor }));
        seen.push(...page.items.map((e) => e.seq));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(
        seen.sort((a, b) => a - b),
        sameTime.map((e) => e.seq),
      );
      const exported = await collect(must(events.export({ module: 'tie' }, 2)));
      assert.deepEqual(
        exported.map((e) => e.seq).sort((a, b) => a - b),
        sameTime.map((e) => e.seq),
      );
    });

    it('exports every matching event in pages', async () => {
      const exported = await collect(must(t.services.events.export({ computerId: one, module: 'ips' }, 7)));
      assert.equal(exported.length, 76);
      assert.ok(exported.every((e) => e.module === 'ips' && e.computerId === one));
      mustFail(t.services.events.export({ to: 'never' }), 'validation');
    });

    it('deletes events older than a retention cutoff, and only those', async () => {
      const { events } = t.services;
      const before = await collect(must(events.export({})));
      const cutoff = new Date(base + 50_000).toISOString();
      const older = before.filter((e) => e.time < cutoff).length;
      assert.ok(older > 0);
      assert.deepEqual(must(await events.deleteOlderThan(cutoff)), { deleted: older });
      const after = await collect(must(events.export({})));
      assert.equal(after.length, before.length - older);
      assert.ok(after.every((e) => e.time >= cutoff));
      mustFail(await events.deleteOlderThan('last week'), 'validation');
    });
  });
}
