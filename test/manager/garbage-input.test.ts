import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  activateFakeAgent,
  bearer,
  call,
  type FakeAgent,
  type HttpAnswer,
  startTestManager,
  type TestManager,
} from './manager-harness.js';
import { storeVariants } from './store-variants.js';

/** Any answer to garbage is a client error with a problem body, or a success; never a 5xx. */
function assertHandled(answer: HttpAnswer, what: string): void {
  assert.ok(answer.status < 500, `${what} → ${answer.status} ${answer.text.slice(0, 200)}`);
  if (answer.status >= 400) {
    assert.match(String(answer.headers['content-type']), /^application\/problem\+json/, what);
    assert.match(answer.json?.type ?? '', /^urn:bulwark:problem:[a-z-]+$/, what);
  }
}

/** Text with what stores disagree on mixed in: NUL, lone surrogate halves. */
const awkwardUnit = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('a', 'Z', '0', '-', ' ') },
  fc.constantFrom('\u0000', '\ud800', '\udfff', '\u00e9', '%00'),
);

const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 4, stringUnit: awkwardUnit }).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

// On both stores: PostgreSQL refused input (NUL) that SQLite stored, and answered it with a 500.
for (const store of await storeVariants())
  describe(`garbage on both ports is answered with problems, never a crash (${store.name})`, {
    skip: store.skip,
  }, () => {
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

    test('agent port: random bodies on every POST route', async () => {
      const paths = ['/agent/v1/activate', '/agent/v1/heartbeat', '/agent/v1/events', '/agent/v1/inventory'];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), rawBody, async (path, body) => {
          const answer = await call(`${t.manager.agentUrl}${path}`, {
            rawBody: body,
            headers: { 'content-type': 'application/json' },
            ...agent.tls,
          });
          assertHandled(answer, `${path} ${JSON.stringify(body).slice(0, 80)}`);
        }),
        { numRuns: 120 },
      );
      const computers = await t.manager.services.computers.list({ limit: 500 });
      assert.ok(computers.ok);
      assert.equal(computers.value.items.length, 1, 'garbage activated nothing');
      const events = await t.manager.services.events.query({ limit: 500 });
      assert.ok(events.ok);
      assert.equal(events.value.items.length, 0, 'garbage stored no events');
    });

    test('console port: random bodies and query strings with an administrator key', async () => {
      const routes: [string, string][] = [
        ['POST', '/api/policies'],
        ['POST', '/api/users'],
        ['POST', '/api/api-keys'],
        ['POST', '/api/activation-tokens'],
        ['POST', '/api/sessions'],
        ['PATCH', `/api/computers/${agent.computerId}`],
        ['PUT', `/api/computers/${agent.computerId}/settings/platform.heartbeatIntervalSeconds`],
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), rawBody, async ([method, path], body) => {
          const answer = await call(`${t.manager.consoleUrl}${path}`, {
            method,
            rawBody: body,
            headers: { 'content-type': 'application/json', ...bearer(t.keys.administrator) },
            ca: t.manager.caCertPem,
          });
          assertHandled(answer, `${method} ${path} ${JSON.stringify(body).slice(0, 80)}`);
        }),
        { numRuns: 120 },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/api/events', '/api/computers', '/api/alerts', '/api/audit-log', '/api/users'),
          fc.dictionary(
            fc.constantFrom('limit', 'cursor', 'from', 'severity', 'status', 'q', 'x'),
            fc.oneof(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40, unit: awkwardUnit })),
          ),
          async (path, query) => {
            const answer = await call(`${t.manager.consoleUrl}${path}?${new URLSearchParams(query)}`, {
              headers: bearer(t.keys.administrator),
              ca: t.manager.caCertPem,
            });
            assertHandled(answer, `GET ${path}?${new URLSearchParams(query)}`);
          },
        ),
        { numRuns: 120 },
      );
    });
  });
