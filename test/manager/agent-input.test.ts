import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from './fake-agent-flow.js';
import { activateFakeAgent, call, type FakeAgent, startTestManager, type TestManager } from './manager-harness.js';

const event = (seq: number) => ({
  seq,
  time: new Date().toISOString(),
  module: 'firewall',
  type: 'packet-denied',
  severity: 'low',
  summary: `event ${seq}`,
});

describe('agent port: bad input from an activated agent is refused and stores nothing', () => {
  let t: TestManager;
  let agent: FakeAgent;
  before(async () => {
    t = await startTestManager();
    agent = await activateFakeAgent(t.manager);
  });
  after(async () => {
    await t?.close();
  });

  const url = (path: string) => `${t.manager.agentUrl}${path}`;

  async function storedEvents(): Promise<number> {
    const page = await t.manager.services.events.query({ computerId: agent.computerId, limit: 500 });
    assert.ok(page.ok);
    return page.value.items.length;
  }

  test('event batches: oversize, malformed, unknown fields, empty, too many', async () => {
    const cases: [string, Parameters<typeof call>[1], number, string][] = [
      [
        'over 8 MiB',
        {
          body: { events: [{ ...event(1), summary: 'x', details: { blob: 'y'.repeat(9 * 1_048_576) } }] },
          ...agent.tls,
        },
        413,
        'payload-too-large',
      ],
      [
        'malformed JSON',
        { rawBody: '{"events":[', headers: { 'content-type': 'application/json' }, ...agent.tls },
        400,
        'validation',
      ],
      [
        'unknown field in an event',
        { body: { events: [{ ...event(1), sneaky: true }] }, ...agent.tls },
        400,
        'validation',
      ],
      ['unknown top-level field', { body: { events: [event(1)], more: 1 }, ...agent.tls }, 400, 'validation'],
      ['no events', { body: { events: [] }, ...agent.tls }, 400, 'validation'],
      [
        'more than 1000 events',
        { body: { events: Array.from({ length: 1001 }, (_, i) => event(i + 1)) }, ...agent.tls },
        400,
        'validation',
      ],
      [
        'one bad event among good ones',
        { body: { events: [event(1), { ...event(2), seq: 0 }] }, ...agent.tls },
        400,
        'validation',
      ],
    ];
    for (const [label, options, status, type] of cases) {
      const answer = await call(url('/agent/v1/events'), options);
      assert.equal(answer.status, status, `${label}: ${answer.text.slice(0, 300)}`);
      assert.equal(answer.json?.type, `urn:bulwark:problem:${type}`, label);
    }
    assert.equal(await storedEvents(), 0);
    const good = await call(url('/agent/v1/events'), { body: { events: [event(1), event(2)] }, ...agent.tls });
    assert.deepEqual(good.json, { accepted: 2, duplicates: 0 });
    assert.equal(await storedEvents(), 2);
  });

  test('heartbeat and inventory with unknown or missing fields are 400 and change nothing', async () => {
    const heartbeat = await call(url('/agent/v1/heartbeat'), {
      body: {
        appliedConfigurationVersion: null,
        modules: [],
        agentVersion: '1',
        spool: { pendingEvents: 0, droppedEvents: 0 },
        root: true,
      },
      ...agent.tls,
    });
    assert.equal(heartbeat.status, 400);
    assert.match(JSON.stringify(heartbeat.json.issues), /root/);
    const computer = await t.manager.services.computers.get(agent.computerId);
    assert.ok(computer.ok);
    assert.equal(computer.value.lastHeartbeatAt, null);

    const inventory = await call(url('/agent/v1/inventory'), { body: { inventory: { hostname: 'h' } }, ...agent.tls });
    assert.equal(inventory.status, 400);
    const stored = await t.manager.services.inventory.get(agent.computerId);
    assert.equal(stored.ok, false);
  });

  test('a configuration version that is not a content hash is 400', async () => {
    const answer = await call(url('/agent/v1/configuration/..%2f..%2fetc'), agent.tls);
    assert.equal(answer.status, 400);
    assert.equal(answer.json.type, 'urn:bulwark:problem:validation');
  });

  test('a computer may hold only a few wake polls at once', async () => {
    const polls = Array.from({ length: 4 }, () =>
      call(url('/agent/v1/wake?timeoutSeconds=60'), { ...agent.tls, timeoutMs: 70_000 }),
    );
    await waitFor(() => t.manager.wakeHub.waiting(agent.computerId) === 4);
    const fifth = await call(url('/agent/v1/wake?timeoutSeconds=60'), agent.tls);
    assert.equal(fifth.status, 429);
    assert.equal(fifth.json.type, 'urn:bulwark:problem:rate-limited');
    t.manager.wakeHub.wake([agent.computerId]);
    for (const answer of await Promise.all(polls)) assert.deepEqual(answer.json, { wake: true });
  });

  test('wake timeoutSeconds out of range is 400', async () => {
    for (const timeout of ['0', '301', 'soon']) {
      const answer = await call(url(`/agent/v1/wake?timeoutSeconds=${timeout}`), agent.tls);
      assert.equal(answer.status, 400, timeout);
    }
  });
});

test('stopping the manager answers open wake polls at once instead of waiting for their timeout', async () => {
  const t = await startTestManager();
  try {
    const agent = await activateFakeAgent(t.manager);
    const poll = call(`${t.manager.agentUrl}/agent/v1/wake?timeoutSeconds=300`, { ...agent.tls, timeoutMs: 310_000 });
    await waitFor(() => t.manager.wakeHub.waiting(agent.computerId) === 1);
    const stopped = t.manager.stop();
    const answer = await poll;
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { wake: false });
    await stopped;
  } finally {
    await t.close();
  }
});
