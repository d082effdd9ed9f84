import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventSpool, ManagerChannel, silentLogger } from '@bulwark/platform-agent';
import { type AgentQuotaRates, type RunningManager, startManager } from '@bulwark/platform-manager';
import { EventUploader } from '../../packages/platform-agent/src/spool/event-uploader.js';
import { waitFor } from './fake-agent-flow.js';
import { activateFakeAgent, bearer, call, type FakeAgent } from './manager-harness.js';

const event = (seq: number, extra: Record<string, unknown> = {}) => ({
  seq,
  time: new Date().toISOString(),
  module: 'loginspect',
  type: 'alert',
  severity: 'low',
  summary: `event ${seq}`,
  ...extra,
});

/** Item 5 of issue 10: one agent flooded the store (90 batches of 8 MiB) and made every list huge. */
describe('one agent cannot flood the store', () => {
  let manager: RunningManager;
  let dataDir: string;
  let agent: FakeAgent;
  let adminKey: string;
  // Slow refill: the uploader below meets a 429 before the bucket is positive again.
  const quota: AgentQuotaRates = { eventsPerSecond: 20, eventBurst: 300, bytesPerSecond: 1e9, byteBurst: 1e9 };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bulwark-flood-'));
    manager = await startManager({
      dataDir,
      consolePort: 0,
      agentPort: 0,
      listenAddress: '127.0.0.1',
      logger: false,
      agentQuota: quota,
    });
    agent = await activateFakeAgent(manager);
    const key = await manager.services.apiKeys.create(
      { name: 'admin', role: 'administrator' },
      { kind: 'system', id: null, name: 'test' },
    );
    assert.ok(key.ok);
    adminKey = key.value.key;
  });
  after(async () => {
    await manager?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const upload = (events: unknown[]) => call(`${manager.agentUrl}/agent/v1/events`, { body: { events }, ...agent.tls });
  const api = (path: string) =>
    call(`${manager.consoleUrl}${path}`, { headers: bearer(adminKey), ca: manager.caCertPem });

  test('an event over 64 KiB is refused with 413 naming it, and nothing of its batch is stored', async () => {
    const big = event(2, { details: { fullLog: 'x'.repeat(70_000) } });
    const answer = await upload([event(1), big, event(3)]);
    assert.equal(answer.status, 413, answer.text.slice(0, 300));
    assert.equal(answer.json.type, 'urn:bulwark:problem:payload-too-large');
    assert.deepEqual(
      answer.json.issues.map((i: { path: string }) => i.path),
      ['/events/1'],
    );
    const body = await call(`${manager.agentUrl}/agent/v1/events`, {
      rawBody: JSON.stringify({ events: [event(4, { details: { blob: 'y'.repeat(5 * 1_048_576) } })] }),
      headers: { 'content-type': 'application/json' },
      ...agent.tls,
    });
    assert.equal(body.status, 413, 'a body over 4 MiB is refused before it is parsed');
    const stored = await manager.services.events.query({ computerId: agent.computerId });
    assert.ok(stored.ok);
    assert.equal(stored.value.items.length, 0);
  });

  test('lists cut large details and say so; the event by id has them whole', async () => {
    const fullLog = 'L'.repeat(50_000);
    const answer = await upload([event(10, { details: { fullLog, user: 'alice' } })]);
    assert.equal(answer.status, 200, answer.text);
    const list = await api(`/api/events?computerId=${agent.computerId}&limit=5`);
    assert.equal(list.status, 200);
    const listed = list.json.items[0];
    assert.equal(listed.truncated, true);
    assert.equal(listed.details.fullLog, `${'L'.repeat(1024)}…`);
    assert.equal(listed.details.user, 'alice');
    assert.ok(list.text.length < 5_000, `the list answer is ${list.text.length} characters`);
    const whole = await api(`/api/events/${listed.id}`);
    assert.equal(whole.status, 200);
    assert.equal(whole.json.details.fullLog, fullLog);
    assert.equal(whole.json.truncated, undefined);
    assert.equal((await api(`/api/events/${crypto.randomUUID()}`)).status, 404);
  });

  test('event times are clamped to a window around the manager clock; the agent time is kept', async () => {
    const before = Date.now();
    const answer = await upload([
      event(20, { time: '9999-12-31T23:59:59.000Z' }),
      event(21, { time: '1970-01-02T00:00:00.000Z' }),
    ]);
    assert.equal(answer.status, 200, answer.text);
    const list = await api(`/api/events?computerId=${agent.computerId}&limit=50`);
    const future = list.json.items.find((e: { seq: number }) => e.seq === 20);
    const past = list.json.items.find((e: { seq: number }) => e.seq === 21);
    assert.equal(future.agentTime, '9999-12-31T23:59:59.000Z');
    assert.ok(Date.parse(future.time) <= Date.now() + 5 * 60_000 && Date.parse(future.time) >= before);
    assert.equal(past.agentTime, '1970-01-02T00:00:00.000Z');
    const thirtyDays = 30 * 24 * 3_600_000;
    assert.ok(Math.abs(Date.parse(past.time) - (Date.parse(past.receivedAt) - thirtyDays)) < 1000);
    const normal = list.json.items.find((e: { seq: number }) => e.seq === 10);
    assert.equal(normal.agentTime, normal.time);
  });

  test('over its quota a computer is answered 429 with Retry-After; the agent keeps the events and all arrive', async () => {
    const flooder = await activateFakeAgent(manager, 'flooder');
    // Sequence numbers far above the spool's, which numbers from 1.
    const first = await call(`${manager.agentUrl}/agent/v1/events`, {
      body: { events: Array.from({ length: 400 }, (_, i) => event(1_000_001 + i)) },
      ...flooder.tls,
    });
    assert.equal(first.status, 200, 'within the burst, a batch may take the bucket below zero');
    const second = await call(`${manager.agentUrl}/agent/v1/events`, {
      body: { events: [event(1_000_401)] },
      ...flooder.tls,
    });
    assert.equal(second.status, 429);
    assert.equal(second.json.type, 'urn:bulwark:problem:rate-limited');
    assert.ok(Number(second.headers['retry-after']) >= 1);

    // The real uploader of the agent, against the same computer: it must keep what is refused.
    const spoolDir = await mkdtemp(join(tmpdir(), 'bulwark-flood-spool-'));
    const spool = EventSpool.open(join(spoolDir, 'spool.db'));
    const channel = new ManagerChannel({
      managerUrl: manager.agentUrl,
      keyPem: flooder.tls.key,
      certificatePem: flooder.tls.cert,
      caPem: flooder.tls.ca,
    });
    const uploader = new EventUploader({ spool, channel, log: silentLogger, idleMs: 200, lingerMs: 10 });
    try {
      for (let i = 0; i < 500; i++) spool.emit({ module: 'm', type: 't', severity: 'low', summary: `flood ${i}` });
      spool.flush();
      uploader.start();
      await waitFor(() => spool.counters().pendingEvents === 0, 'the spool to drain', 60_000);
      const counters = spool.counters();
      assert.equal(counters.droppedEvents, 0);
      assert.equal(counters.invalidEvents, 0);
      const stored = await manager.services.events.query({ computerId: flooder.computerId, limit: 500 });
      assert.ok(stored.ok);
      let total = stored.value.items.length;
      let cursor = stored.value.nextCursor;
      while (cursor !== null) {
        const page = await manager.services.events.query({ computerId: flooder.computerId, limit: 500, cursor });
        assert.ok(page.ok);
        total += page.value.items.length;
        cursor = page.value.nextCursor;
      }
      assert.equal(total, 900, 'every event arrived once');
      const metrics = await call(`${manager.consoleUrl}/metrics`, { headers: bearer(adminKey), ca: manager.caCertPem });
      const deferred = Number(/bulwark_event_uploads_deferred_total\{reason="quota"\} (\d+)/.exec(metrics.text)?.[1]);
      assert.ok(deferred >= 2, `the uploader met the quota too (${deferred} deferred)`);
    } finally {
      await uploader.stop();
      channel.close();
      spool.close();
      await rm(spoolDir, { recursive: true, force: true });
    }
  });
});
