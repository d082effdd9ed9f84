import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fakeAgentFlow } from './fake-agent-flow.js';
import { bearer, call, startTestManager, type TestManager } from './manager-harness.js';

describe('manager end to end on SQLite', () => {
  let t: TestManager;
  before(async () => {
    t = await startTestManager();
  });
  after(async () => {
    await t?.close();
  });

  test('a fake agent activates, heartbeats, fetches its configuration, uploads events and is woken', async () => {
    await fakeAgentFlow(t.manager, t.keys);
  });

  test('Prometheus metrics count what the agent did', async () => {
    const answer = await call(`${t.manager.consoleUrl}/metrics`, {
      headers: bearer(t.keys.auditor),
      ca: t.manager.caCertPem,
    });
    assert.equal(answer.status, 200, answer.text);
    assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(answer.text, /^bulwark_events_received_total\{result="accepted"\} 3$/m);
    assert.match(answer.text, /^bulwark_events_received_total\{result="duplicate"\} 3$/m);
    assert.match(
      answer.text,
      /^bulwark_http_requests_total\{server="agent",method="POST",route="\/agent\/v1\/heartbeat",status="200"\} [1-9]\d*$/m,
    );
    assert.match(answer.text, /^bulwark_computers\{status="[a-z-]+"\} 1$/m);
    assert.match(answer.text, /^bulwark_agent_wake_polls 0$/m);
    // The process's own figures come with them (prom-client's defaults).
    assert.match(answer.text, /^process_resident_memory_bytes \d+$/m);
    assert.match(answer.text, /^process_cpu_seconds_total [\d.e+-]+$/m);
    assert.match(answer.text, /^nodejs_eventloop_lag_seconds [\d.e+-]+$/m);
    assert.match(answer.text, /^bulwark_manager_info\{version="[^"]+"\} 1$/m);
  });

  test('console login: session cookie, CSRF on changes, logout', async () => {
    const ca = t.manager.caCertPem;
    const api = (path: string) => `${t.manager.consoleUrl}${path}`;
    assert.ok(t.manager.initialAdminPassword, 'the first start made an admin');
    const wrong = await call(api('/api/sessions'), { body: { username: 'admin', password: 'not it' }, ca });
    assert.equal(wrong.status, 401);
    const login = await call(api('/api/sessions'), {
      body: { username: 'admin', password: t.manager.initialAdminPassword },
      ca,
    });
    assert.equal(login.status, 200, login.text);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /bulwark_session=[^;]+;.*HttpOnly/i);
    assert.match(setCookie, /Secure/i);
    assert.match(setCookie, /SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;
    const csrf: string = login.json.csrfToken;
    // The printed first password must be replaced before anything else.
    assert.equal(login.json.user.mustChangePassword, true);
    const changed = await call(api('/api/me/password'), {
      method: 'PUT',
      body: { currentPassword: t.manager.initialAdminPassword, newPassword: 'the console password' },
      headers: { cookie, 'x-csrf-token': csrf },
      ca,
    });
    assert.equal(changed.status, 200, changed.text);

    const me = await call(api('/api/me'), { headers: { cookie }, ca });
    assert.equal(me.status, 200);
    assert.deepEqual(
      { name: me.json.name, role: me.json.role, kind: me.json.kind },
      {
        name: 'admin',
        role: 'administrator',
        kind: 'user',
      },
    );
    const body = { name: `from the console ${Date.now()}` };
    const noCsrf = await call(api('/api/policies'), { body, headers: { cookie }, ca });
    assert.equal(noCsrf.status, 403, noCsrf.text);
    const wrongCsrf = await call(api('/api/policies'), { body, headers: { cookie, 'x-csrf-token': `${csrf}x` }, ca });
    assert.equal(wrongCsrf.status, 403);
    const withCsrf = await call(api('/api/policies'), { body, headers: { cookie, 'x-csrf-token': csrf }, ca });
    assert.equal(withCsrf.status, 201, withCsrf.text);

    const logout = await call(api('/api/sessions/current'), {
      method: 'DELETE',
      headers: { cookie, 'x-csrf-token': csrf },
      ca,
    });
    assert.equal(logout.status, 204, logout.text);
    assert.equal((await call(api('/api/me'), { headers: { cookie }, ca })).status, 401);
  });

  test('a console user’s role applies to a session as to an API key', async () => {
    const ca = t.manager.caCertPem;
    const api = (path: string) => `${t.manager.consoleUrl}${path}`;
    const created = await call(api('/api/users'), {
      body: { username: 'olga', password: 'correct horse battery', role: 'operator' },
      headers: bearer(t.keys.administrator),
      ca,
    });
    assert.equal(created.status, 201, created.text);
    const login = await call(api('/api/sessions'), {
      body: { username: 'olga', password: 'correct horse battery' },
      ca,
    });
    assert.equal(login.status, 200, login.text);
    const headers = {
      cookie: String(login.headers['set-cookie']).split(';')[0]!,
      'x-csrf-token': login.json.csrfToken as string,
    };
    assert.equal((await call(api('/api/alerts'), { headers, ca })).status, 200);
    const forbidden = await call(api('/api/api-keys'), { body: { name: 'k', role: 'administrator' }, headers, ca });
    assert.equal(forbidden.status, 403);
  });

  test('the OpenAPI document is generated from the route schemas and served with its UI', async () => {
    const ca = t.manager.caCertPem;
    const doc = await call(`${t.manager.consoleUrl}/api/docs/json`, { ca });
    assert.equal(doc.status, 200);
    assert.match(doc.json.openapi, /^3\./);
    const paths = Object.keys(doc.json.paths);
    for (const path of [
      '/api/computers/{id}',
      '/api/policies/{id}/move',
      '/api/events/export',
      '/api/activation-tokens',
    ]) {
      assert.ok(paths.includes(path), `${path} documented`);
    }
    const create = doc.json.paths['/api/api-keys'].post;
    assert.equal(create.requestBody.content['application/json'].schema.additionalProperties, false);
    const ui = await call(`${t.manager.consoleUrl}/api/docs`, { ca });
    assert.ok([200, 302].includes(ui.status), `UI answered ${ui.status}`);
  });

  test('over 1 MiB 413, text/plain 415, broken JSON and unknown fields 400, unknown route 404', async () => {
    const ca = t.manager.caCertPem;
    const big = await call(`${t.manager.consoleUrl}/api/sessions`, {
      body: { username: 'admin', password: 'x'.repeat(1_100_000) },
      ca,
    });
    assert.equal(big.status, 413);
    assert.equal(big.json.type, 'urn:bulwark:problem:payload-too-large');
    const plain = await call(`${t.manager.consoleUrl}/api/policies`, {
      rawBody: '{"name":"x"}',
      headers: { 'content-type': 'text/plain', ...bearer(t.keys.administrator) },
      ca,
    });
    assert.equal(plain.status, 415);
    assert.equal(plain.json.type, 'urn:bulwark:problem:unsupported-media-type');
    const broken = await call(`${t.manager.consoleUrl}/api/policies`, {
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json', ...bearer(t.keys.administrator) },
      ca,
    });
    assert.equal(broken.status, 400);
    assert.equal(broken.json.type, 'urn:bulwark:problem:validation');
    const extra = await call(`${t.manager.consoleUrl}/api/policies`, {
      body: { name: 'x', color: 'red' },
      headers: bearer(t.keys.administrator),
      ca,
    });
    assert.equal(extra.status, 400);
    assert.deepEqual(extra.json.issues, [{ path: 'body/color', message: 'Unexpected property' }]);
    const policies = await t.manager.services.policies.list();
    assert.ok(policies.ok && !policies.value.some((p) => p.name === 'x'), 'nothing was created');
    const missing = await call(`${t.manager.consoleUrl}/api/nothing-here`, { ca });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.type, 'urn:bulwark:problem:not-found');
  });
});

const postgresUrl = process.env.BULWARK_TEST_POSTGRES_URL;

describe('manager end to end on PostgreSQL', () => {
  test('the fake agent flow', async (t) => {
    if (!postgresUrl) return t.skip('set BULWARK_TEST_POSTGRES_URL to run the end-to-end flow on PostgreSQL');
    const { createTestDatabase } = await import('./postgres-database.js');
    const database = await createTestDatabase(postgresUrl);
    const manager = await startTestManager({ databaseUrl: database.url });
    try {
      await fakeAgentFlow(manager.manager, manager.keys);
    } finally {
      await manager.close();
      await database.drop();
    }
  });
});
