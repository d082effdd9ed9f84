import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  activateFakeAgent,
  bearer,
  call,
  type FakeAgent,
  startTestManager,
  type TestManager,
} from './manager-harness.js';
import { storeVariants } from './store-variants.js';

const NUL = 'a\u0000b';
const LONE = 'a\ud800b';

/** Item 13b of issue 10: PostgreSQL answered 500 for NUL where SQLite stored it. Both must answer 400. */
for (const store of await storeVariants()) {
  describe(`strings no store keeps as sent are refused the same way (${store.name})`, { skip: store.skip }, () => {
    let t: TestManager;
    let agent: FakeAgent;
    let drop: () => Promise<void> = async () => {};
    before(async () => {
      const database = await store.create();
      drop = database.drop;
      t = await startTestManager(database.databaseUrl === undefined ? {} : { databaseUrl: database.databaseUrl });
      agent = await activateFakeAgent(t.manager);
    });
    after(async () => {
      await t?.close();
      await drop();
    });

    const admin = () => ({ ...bearer(t.keys.administrator) });

    async function expect400(method: string, path: string, body: unknown, issuePath: RegExp): Promise<void> {
      const answer = await call(`${t.manager.consoleUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { body }),
        headers: admin(),
        ca: t.manager.caCertPem,
      });
      const what = `${method} ${path} ${JSON.stringify(body)}`;
      assert.equal(answer.status, 400, `${what}: ${answer.text}`);
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/, what);
      assert.equal(answer.json.type, 'urn:bulwark:problem:validation', what);
      assert.match(answer.json.issues[0].path, issuePath, what);
    }

    test('NUL or a lone surrogate in a body, a query string, a path or a login name is 400 naming it', async () => {
      for (const bad of [NUL, LONE]) {
        await expect400('POST', '/api/policies', { name: bad }, /^body\/name$/);
        await expect400('POST', '/api/api-keys', { name: bad, role: 'auditor' }, /^body\/name$/);
        await expect400('POST', '/api/activation-tokens', { name: bad }, /^body\/name$/);
        await expect400(
          'POST',
          '/api/forwarding/destinations',
          { name: bad, transport: 'udp', host: 'localhost', port: 514, format: 'json' },
          /^body\/name$/,
        );
        await expect400('PATCH', `/api/computers/${agent.computerId}`, { description: bad }, /^body\/description$/);
        await expect400('POST', '/api/sessions', { username: bad, password: 'whatever1' }, /^body\/username$/);
      }
      await expect400('GET', '/api/computers?q=a%00b', undefined, /^querystring\/q$/);
      await expect400('GET', '/api/events?module=a%00b', undefined, /^querystring\/module$/);
      await expect400('GET', '/api/modules/firewall/rules/a%00b', undefined, /^params\/ruleId$/);
      const policies = await t.manager.services.policies.list();
      assert.ok(policies.ok);
      assert.equal(policies.value.length, 0, 'nothing was stored');
    });

    test('an event with NUL in a column is 400; in its details (stored as JSON text) it is kept', async () => {
      const event = { seq: 1, time: new Date().toISOString(), module: 'loginspect', type: 'alert', severity: 'low' };
      const refused = await call(`${t.manager.agentUrl}/agent/v1/events`, {
        body: { events: [{ ...event, summary: NUL }] },
        ...agent.tls,
      });
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json.issues[0].path, 'body/events/0/summary');
      const kept = await call(`${t.manager.agentUrl}/agent/v1/events`, {
        body: { events: [{ ...event, summary: 'line', details: { fullLog: `x${NUL}${LONE}` } }] },
        ...agent.tls,
      });
      assert.equal(kept.status, 200, kept.text);
      const stored = await t.manager.services.events.query({ computerId: agent.computerId });
      assert.ok(stored.ok);
      assert.deepEqual(stored.value.items[0]?.details, { fullLog: `x${NUL}${LONE}` });
    });

    test('event details nested deeper than 64 levels are 400, not 500', async () => {
      // Written as text: JSON.stringify itself overflows the stack on such an object.
      const depth = 10_000;
      const details = `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const event = `{"seq":2,"time":"${new Date().toISOString()}","module":"m","type":"t","severity":"low","summary":"s","details":${details}}`;
      const answer = await call(`${t.manager.agentUrl}/agent/v1/events`, {
        rawBody: `{"events":[${event}]}`,
        headers: { 'content-type': 'application/json' },
        ...agent.tls,
      });
      assert.equal(answer.status, 400, answer.text.slice(0, 300));
      assert.match(answer.json.detail, /nested more than 64 levels/);
    });
  });
}
