import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AgentEvent, NewEvent } from '@bulwark/protocol';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { EventSpool, readSpoolCounters } from './event-spool.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function spoolPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-spool-'));
  dirs.push(dir);
  return join(dir, 'spool.db');
}

const event = (n: number, severity: NewEvent['severity'] = 'medium'): NewEvent => ({
  module: 'test',
  type: 'thing',
  severity,
  summary: `event ${n}`,
  details: { n },
});

function drain(spool: EventSpool): AgentEvent[] {
  const all: AgentEvent[] = [];
  for (;;) {
    const batch = spool.nextBatch(1000);
    const last = batch.at(-1);
    if (!last) return all;
    all.push(...batch);
    spool.acknowledge(last.seq);
  }
}

describe('EventSpool', () => {
  it('numbers events from 1, keeps them until acknowledged, and never reuses a seq across restarts', () => {
    const path = spoolPath();
    let spool = EventSpool.open(path);
    for (let i = 1; i <= 5; i++) assert.deepEqual(spool.emit(event(i)), { kind: 'spooled', seq: i });
    const first = spool.nextBatch(3);
    assert.deepEqual(
      first.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.equal(first[0]?.summary, 'event 1');
    assert.match(first[0]?.time ?? '', /^\d{4}-\d{2}-\d{2}T/);
    spool.acknowledge(3);
    spool.close();

    spool = EventSpool.open(path);
    assert.equal(spool.counters().pendingEvents, 2);
    assert.deepEqual(spool.emit(event(6)), { kind: 'spooled', seq: 6 });
    assert.deepEqual(
      drain(spool).map((e) => e.seq),
      [4, 5, 6],
    );
    spool.close();

    spool = EventSpool.open(path);
    assert.equal(spool.counters().pendingEvents, 0);
    assert.deepEqual(spool.emit(event(7)), { kind: 'spooled', seq: 7 }, 'a deleted seq is never handed out again');
    spool.close();
  });

  it('keeps an unacknowledged batch for the next try after release()', () => {
    const spool = EventSpool.open(spoolPath());
    for (let i = 1; i <= 3; i++) spool.emit(event(i));
    assert.equal(spool.nextBatch(10).length, 3);
    spool.release();
    assert.deepEqual(
      spool.nextBatch(10).map((e) => e.seq),
      [1, 2, 3],
    );
    spool.close();
  });

  it('on overflow deletes the oldest events and appends exactly one events-dropped notice with the right count', () => {
    const spool = EventSpool.open(spoolPath(), { maxEvents: 100 });
    for (let i = 1; i <= 150; i++) spool.emit(event(i));
    const kept = drain(spool);
    assert.ok(kept.length <= 100, `spool holds ${kept.length} events`);
    const notices = kept.filter((e) => e.type === 'events-dropped');
    assert.equal(notices.length, 1);
    const notice = notices[0]!;
    const real = kept.filter((e) => e.module === 'test');
    const dropped = 150 - real.length;
    assert.deepEqual(notice.details, { dropped });
    assert.equal(notice.summary, `events dropped: ${dropped}`);
    assert.equal(notice.module, 'agent');
    assert.equal(notice.severity, 'high');
    // The newest events are the ones kept, none missing between them.
    assert.deepEqual(
      real.map((e) => (e.details as { n: number }).n),
      Array.from({ length: real.length }, (_, i) => 150 - real.length + 1 + i),
    );
    assert.equal(spool.counters().droppedEvents, dropped);
    spool.close();
  });

  it('starts a new notice once the previous one was handed to the uploader, and the counts add up', () => {
    const spool = EventSpool.open(spoolPath(), { maxEvents: 100 });
    for (let i = 1; i <= 120; i++) spool.emit(event(i));
    const batch = spool.nextBatch(1000); // the notice is now on its way: it must not change any more
    const firstNotice = batch.find((e) => e.type === 'events-dropped');
    assert.ok(firstNotice);
    spool.release();
    for (let i = 121; i <= 200; i++) spool.emit(event(i));
    const kept = drain(spool);
    const notices = kept.filter((e) => e.type === 'events-dropped');
    assert.equal(notices.length, 2, 'the first notice is not dropped, and a second one counts what came after');
    assert.equal(notices[0]?.seq, firstNotice.seq);
    const total = notices.reduce((sum, n) => sum + (n.details as { dropped: number }).dropped, 0);
    const real = kept.filter((e) => e.module === 'test').length;
    assert.equal(total + real, 200);
    assert.equal(spool.counters().droppedEvents, total);
    spool.close();
  });

  it('spares the batch in flight when it has to drop events', () => {
    const spool = EventSpool.open(spoolPath(), { maxEvents: 100 });
    for (let i = 1; i <= 100; i++) spool.emit(event(i));
    const inFlight = spool.nextBatch(10);
    for (let i = 101; i <= 110; i++) spool.emit(event(i));
    spool.acknowledge(inFlight.at(-1)!.seq);
    const rest = drain(spool);
    const n = rest.filter((e) => e.module === 'test').map((e) => (e.details as { n: number }).n);
    assert.equal(n[0]! > 10, true);
    assert.equal(n.includes(110), true);
    spool.close();
  });

  it('does not spool events below the minimum severity or invalid events, and counts both', () => {
    const spool = EventSpool.open(spoolPath(), { minimumSeverity: 'medium' });
    assert.deepEqual(spool.emit(event(1, 'low')), { kind: 'clipped' });
    assert.deepEqual(spool.emit(event(2, 'high')), { kind: 'spooled', seq: 1 });
    const invalid = spool.emit({ ...event(3), severity: 'urgent' } as unknown as NewEvent);
    assert.equal(invalid.kind, 'invalid');
    const counters = spool.counters();
    assert.equal(counters.clippedEvents, 1);
    assert.equal(counters.invalidEvents, 1);
    assert.equal(counters.pendingEvents, 1);
    spool.close();
  });

  it('under any mix of emits, uploads, failures and restarts: seqs strictly increase, and emitted = delivered + dropped + pending', () => {
    type Op = { kind: 'emit'; count: number } | { kind: 'upload'; ack: boolean } | { kind: 'restart' };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('emit' as const), count: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('upload' as const), ack: fc.boolean() }),
      fc.record({ kind: fc.constant('restart' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops: Op[]) => {
        const path = spoolPath();
        let spool = EventSpool.open(path, { maxEvents: 100 });
        let emitted = 0;
        const delivered = new Map<number, AgentEvent>();
        let lastSeq = 0;
        for (const step of ops) {
          if (step.kind === 'emit') {
            for (let i = 0; i < step.count; i++) {
              const outcome = spool.emit(event(++emitted));
              assert.equal(outcome.kind, 'spooled');
              if (outcome.kind === 'spooled') {
                assert.ok(outcome.seq > lastSeq);
                lastSeq = outcome.seq;
              }
            }
          } else if (step.kind === 'upload') {
            const batch = spool.nextBatch(30);
            for (const e of batch) if (!delivered.has(e.seq)) delivered.set(e.seq, e); // the manager keeps the first copy
            if (step.ack && batch.length > 0) spool.acknowledge(batch.at(-1)!.seq);
            else spool.release();
          } else {
            spool.close();
            spool = EventSpool.open(path, { maxEvents: 100 });
            lastSeq = Math.max(lastSeq, spool.counters().lastSeq);
          }
        }
        for (const e of drain(spool)) if (!delivered.has(e.seq)) delivered.set(e.seq, e);
        const real = [...delivered.values()].filter((e) => e.module === 'test').length;
        const dropped = spool.counters().droppedEvents;
        spool.close();
        const noticed = [...delivered.values()]
          .filter((e) => e.type === 'events-dropped')
          .reduce((sum, e) => sum + (e.details as { dropped: number }).dropped, 0);
        assert.equal(noticed, dropped, 'the notices the manager got account for every dropped event');
        // Events uploaded without an ack may later be dropped too: they count on both sides.
        assert.ok(real + dropped >= emitted, `${real} delivered + ${dropped} dropped < ${emitted} emitted`);
        assert.ok(real <= emitted);
      }),
      { numRuns: 25 },
    );
  });

  it('stores each event as the caller gave it plus its seq (and a time when it had none)', () => {
    const at = new Date('2024-05-01T10:00:00.000Z');
    const spool = EventSpool.open(spoolPath(), {}, () => at);
    const timed: NewEvent = { ...event(1), ruleId: '5716', action: 'Log', time: '2024-04-30T23:59:59.500+02:00' };
    spool.emit(timed);
    spool.emit(event(2));
    const [first, second] = spool.nextBatch(10);
    assert.deepEqual(first, { ...timed, seq: 1 });
    assert.deepEqual(second, { ...event(2), seq: 2, time: at.toISOString() });
    spool.release();
    spool.close();
  });

  it('refuses details JSON cannot hold as invalid, without taking a seq or blocking later commits', () => {
    const path = spoolPath();
    const spool = EventSpool.open(path);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const details of [{ n: 10n }, cyclic]) {
      const outcome = spool.emit({ ...event(0), details });
      assert.equal(outcome.kind, 'invalid');
      if (outcome.kind === 'invalid') assert.match(outcome.reason, /cannot be written as JSON/);
    }
    assert.deepEqual(spool.emit(event(1)), { kind: 'spooled', seq: 1 });
    spool.flush();
    assert.equal(readSpoolCounters(path)?.pendingEvents, 1);
    assert.equal(spool.counters().invalidEvents, 2);
    spool.close();
  });

  it('opens a spool made with 4 KiB pages as it is, and goes on numbering from its counter', () => {
    const path = spoolPath();
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(`
      CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, notice INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO counters (name, value) VALUES ('lastSeq', 7);
    `);
    old.close();
    const spool = EventSpool.open(path);
    for (let i = 8; i <= 600; i++) assert.deepEqual(spool.emit(event(i)), { kind: 'spooled', seq: i });
    spool.close();
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('page_size', { simple: true }), 4096);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n, 593);
    db.close();
    const fresh = spoolPath();
    EventSpool.open(fresh).close();
    const made = new Database(fresh, { readonly: true });
    assert.equal(made.pragma('page_size', { simple: true }), 16_384, 'a new spool gets the larger pages');
    made.close();
  });

  it('10,000 emits, close(), reopen: exactly 10,000 events, in order, and numbering goes on', () => {
    const path = spoolPath();
    let spool = EventSpool.open(path);
    for (let i = 1; i <= 10_000; i++) assert.deepEqual(spool.emit(event(i)), { kind: 'spooled', seq: i });
    spool.close();
    spool = EventSpool.open(path);
    assert.equal(spool.counters().pendingEvents, 10_000);
    const all = drain(spool);
    assert.deepEqual(
      all.map((e) => e.seq),
      Array.from({ length: 10_000 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      all.map((e) => (e.details as { n: number }).n),
      Array.from({ length: 10_000 }, (_, i) => i + 1),
    );
    assert.deepEqual(spool.emit(event(10_001)), { kind: 'spooled', seq: 10_001 });
    spool.close();
  });

  it('queues emits in memory and commits them after the flush delay, or at once with flush() / emitDurable()', async () => {
    const path = spoolPath();
    const spool = EventSpool.open(path, {}, undefined, { flushDelayMs: 10 });
    spool.emit(event(1));
    assert.equal(spool.counters().pendingEvents, 1, 'queued events count as waiting');
    assert.equal(readSpoolCounters(path)?.pendingEvents, 0, 'not on disk yet');
    for (let waited = 0; readSpoolCounters(path)?.pendingEvents !== 1; waited++) {
      assert.ok(waited < 500, 'the timed flush never came');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    spool.emit(event(2));
    spool.flush();
    assert.equal(readSpoolCounters(path)?.pendingEvents, 2);
    assert.deepEqual(spool.emitDurable(event(3)), { kind: 'spooled', seq: 3 });
    assert.equal(readSpoolCounters(path)?.pendingEvents, 3);
    spool.close();
    assert.throws(() => spool.emit(event(4)), /closed/);
  });

  it('keeps queued events when a commit fails, reports a failed timed commit, and commits them once it can', async () => {
    const path = spoolPath();
    const errors: string[] = [];
    const spool = EventSpool.open(path, {}, undefined, {
      flushDelayMs: 1,
      onFlushError: (e) => errors.push(e.message),
    });
    spool.emit(event(1));
    spool.flush();
    // Another process holding the write lock makes every commit fail (SQLITE_BUSY), as a broken disk would.
    const blocker = new Database(path);
    blocker.exec('BEGIN IMMEDIATE');
    spool.emit(event(2)); // its timed commit waits out SQLite's busy timeout (5 s), then fails
    for (let waited = 0; errors.length === 0; waited++) {
      assert.ok(waited < 3000, 'the failed timed commit was not reported');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(errors[0] ?? '', /locked|busy/i);
    assert.equal(spool.counters().pendingEvents, 2);
    blocker.exec('ROLLBACK');
    blocker.close();
    spool.emit(event(3));
    const seqs = spool.nextBatch(10).map((e) => e.seq);
    assert.deepEqual(seqs, [1, 2, 3], 'nothing lost, no seq skipped or reused');
    spool.release();
    spool.close();
  });

  it('commits a full batch without waiting for the delay, and per-event mode commits every emit', () => {
    const path = spoolPath();
    const batched = EventSpool.open(path, {}, undefined, { maxBatchEvents: 10, flushDelayMs: 60_000 });
    for (let i = 1; i <= 25; i++) batched.emit(event(i));
    assert.equal(readSpoolCounters(path)?.pendingEvents, 20, 'two full batches committed, five queued');
    batched.close();
    const perEventPath = spoolPath();
    const perEvent = EventSpool.open(perEventPath, {}, undefined, { commit: 'per-event' });
    for (let i = 1; i <= 3; i++) {
      perEvent.emit(event(i));
      assert.equal(readSpoolCounters(perEventPath)?.pendingEvents, i);
    }
    perEvent.close();
  });

  it('counts clipped and invalid events durably, with the batch', () => {
    const path = spoolPath();
    let spool = EventSpool.open(path, { minimumSeverity: 'high' });
    spool.emit(event(1, 'low'));
    spool.emit({ ...event(2), module: '' } as NewEvent);
    spool.emit(event(3, 'critical'));
    spool.close();
    spool = EventSpool.open(path);
    const counters = spool.counters();
    assert.equal(counters.clippedEvents, 1);
    assert.equal(counters.invalidEvents, 1);
    assert.equal(counters.pendingEvents, 1);
    assert.equal(counters.lastSeq, 1);
    spool.close();
  });

  it('under any interleaving of emit, flush, upload with or without ack, and restart: order kept, no seq reused, nothing lost', () => {
    type Op =
      | { kind: 'emit'; count: number }
      | { kind: 'flush' }
      | { kind: 'upload'; ack: boolean; limit: number }
      | { kind: 'restart' };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('emit' as const), count: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ kind: fc.constant('flush' as const) }),
      fc.record({ kind: fc.constant('upload' as const), ack: fc.boolean(), limit: fc.integer({ min: 1, max: 25 }) }),
      fc.record({ kind: fc.constant('restart' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), fc.integer({ min: 1, max: 40 }), (ops: Op[], maxBatchEvents) => {
        const path = spoolPath();
        const open = () => EventSpool.open(path, {}, undefined, { maxBatchEvents, flushDelayMs: 60_000 });
        let spool = open();
        let emitted = 0;
        const seqOf = new Map<number, number>(); // emit number -> seq
        const received = new Map<number, AgentEvent>(); // seq -> what the manager got
        let lastUploaded = 0;
        const upload = (limit: number, ack: boolean) => {
          const batch = spool.nextBatch(limit);
          for (const e of batch) {
            const earlier = received.get(e.seq);
            if (earlier) assert.deepEqual(e, earlier, `seq ${e.seq} was reused for another event`);
            received.set(e.seq, e);
          }
          const seqs = batch.map((e) => e.seq);
          assert.deepEqual(
            seqs,
            [...seqs].sort((a, b) => a - b),
          );
          if (ack && batch.length > 0) {
            assert.ok(batch[0]!.seq > lastUploaded, 'an acknowledged event came again');
            lastUploaded = batch.at(-1)!.seq;
            spool.acknowledge(lastUploaded);
          } else spool.release();
        };
        for (const step of ops) {
          if (step.kind === 'emit') {
            for (let i = 0; i < step.count; i++) {
              const outcome = spool.emit(event(++emitted));
              assert.equal(outcome.kind, 'spooled');
              if (outcome.kind === 'spooled') {
                assert.ok(outcome.seq > (seqOf.get(emitted - 1) ?? 0), 'seqs strictly increase');
                seqOf.set(emitted, outcome.seq);
              }
            }
          } else if (step.kind === 'flush') spool.flush();
          else if (step.kind === 'upload') upload(step.limit, step.ack);
          else {
            spool.close();
            spool = open();
          }
        }
        for (;;) {
          const before = received.size;
          upload(1000, true);
          if (spool.counters().pendingEvents === 0 && received.size === before) break;
        }
        spool.close();
        assert.equal(received.size, emitted, 'every emitted event reached the manager once');
        for (const [n, seq] of seqOf) assert.equal((received.get(seq)?.details as { n: number } | undefined)?.n, n);
      }),
      { numRuns: 40 },
    );
  });
});
