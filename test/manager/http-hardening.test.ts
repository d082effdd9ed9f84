import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, call, type HttpAnswer, startTestManager, type TestManager } from './manager-harness.js';

function assertProblem(answer: HttpAnswer, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 200)}`);
  assert.match(String(answer.headers['content-type']), /^application\/problem\+json/, what);
  assert.match(answer.json?.type ?? '', /^urn:bulwark:problem:[a-z-]+$/, what);
}

/** Items 6 and 13c of issue 10 (manager side): framework errors, security headers, lists, token expiry. */
describe('HTTP hardening', () => {
  let t: TestManager;
  before(async () => {
    t = await startTestManager();
  });
  after(async () => {
    await t?.close();
  });
  const get = (path: string, key = t.keys.administrator) =>
    call(`${t.manager.consoleUrl}${path}`, { headers: bearer(key), ca: t.manager.caCertPem });

  test('errors raised by the HTTP framework itself are problem+json', async () => {
    assertProblem(await get('/api/computers/%ff%fe'), 400, 'a path that is not UTF-8');
    const long = await get(`/api/computers/${'a'.repeat(5_000)}`);
    assertProblem(long, 414, 'a 5,000-character id');
    assert.equal(long.json.type, 'urn:bulwark:problem:uri-too-long');
    const agentPort = await call(`${t.manager.agentUrl}/agent/v1/configuration/%ff`, { ca: t.manager.caCertPem });
    assertProblem(agentPort, 400, 'agent port, a path that is not UTF-8');
    const headers = await call(`${t.manager.consoleUrl}/api/health`, {
      headers: { 'x-big': 'h'.repeat(20_000) },
      ca: t.manager.caCertPem,
    });
    assertProblem(headers, 431, 'headers over the limit');
  });

  test('security headers on data, problems and the OpenAPI UI', async () => {
    for (const [path, key] of [
      ['/api/computers', t.keys.auditor],
      ['/api/nothing-here', t.keys.auditor],
      ['/api/computers', 'bwk_wrong'],
    ] as const) {
      const answer = await get(path, key);
      assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000', path);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(answer.headers['cache-control'], 'no-store', path);
      assert.match(
        String(answer.headers['content-security-policy']),
        /default-src 'none'.*frame-ancestors 'none'/,
        path,
      );
    }
    // The API description is public (it is docs/api.md in machine form): no key needed, framed by nobody.
    const docs = await call(`${t.manager.consoleUrl}/api/docs/json`, { ca: t.manager.caCertPem });
    assert.equal(docs.status, 200);
    const ui = await call(`${t.manager.consoleUrl}/api/docs/static/swagger-ui.css`, { ca: t.manager.caCertPem });
    assert.equal(ui.status, 200);
    assert.match(String(ui.headers['content-security-policy']), /frame-ancestors 'none'/);
  });

  test('every list takes limit up to 500 and pages with cursor', async () => {
    for (let i = 0; i < 3; i++) {
      const created = await call(`${t.manager.consoleUrl}/api/policies`, {
        body: { name: `p${i}` },
        headers: bearer(t.keys.administrator),
        ca: t.manager.caCertPem,
      });
      assert.equal(created.status, 201);
    }
    assert.equal((await get('/api/policies?limit=500')).status, 200);
    const first = await get('/api/policies?limit=2');
    assert.equal(first.json.items.length, 2);
    assert.ok(first.json.nextCursor);
    const second = await get(`/api/policies?limit=2&cursor=${first.json.nextCursor}`);
    assert.equal(second.json.items.length, 1);
    assert.equal(second.json.nextCursor, null);
    assert.equal((await get('/api/forwarding/destinations?limit=500')).status, 200);
    for (const path of ['/api/policies', '/api/computers', '/api/events', '/api/forwarding/destinations']) {
      assertProblem(await get(`${path}?limit=501`), 400, `${path} limit over 500`);
    }
  });

  test('every keyset-paged list answers a cursor that is not its own with a 400 that says to start again', async () => {
    // Well-formed base64url JSON, but a position no list has.
    const garbage = Buffer.from('[true, {}]').toString('base64url');
    for (const path of [
      '/api/computers',
      '/api/events',
      '/api/alerts',
      '/api/audit-log',
      '/api/api-keys',
      '/api/activation-tokens',
      '/api/users',
    ]) {
      for (const cursor of ['%%%', garbage]) {
        const answer = await get(`${path}?cursor=${cursor}`);
        assertProblem(answer, 400, `${path} cursor ${cursor}`);
        assert.match(answer.json.detail ?? answer.json.title, /cursor/, path);
      }
    }
  });

  test('an activation token expires in 24 hours unless asked otherwise', async () => {
    const create = (body: unknown) =>
      call(`${t.manager.consoleUrl}/api/activation-tokens`, {
        body,
        headers: bearer(t.keys.administrator),
        ca: t.manager.caCertPem,
      });
    const plain = await create({});
    assert.equal(plain.status, 201, plain.text);
    const hours = (Date.parse(plain.json.expiresAt) - Date.now()) / 3_600_000;
    assert.ok(hours > 23.9 && hours <= 24, `${hours} h`);
    const forever = await create({ expiresAt: null });
    assert.equal(forever.json.expiresAt, null);
  });
});
