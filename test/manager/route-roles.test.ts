import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { bearer, call, type Role, startTestManager, type TestManager } from './manager-harness.js';

const ROLE_ORDER: readonly Role[] = ['auditor', 'operator', 'administrator'];
const repoRoot = new URL('../../', import.meta.url).pathname;

/** A concrete URL for a route pattern: every `:param` becomes a fresh UUID (or a setting key). */
function concrete(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, (_, name: string) =>
    name === 'key' ? 'platform.heartbeatIntervalSeconds' : crypto.randomUUID(),
  );
}

describe('console routes: every one checks its role', () => {
  let t: TestManager;
  before(async () => {
    t = await startTestManager();
  });
  after(async () => {
    await t?.close();
  });

  test('every route declares a role', () => {
    assert.ok(t.routes.length > 40, `only ${t.routes.length} routes collected`);
    for (const route of t.routes) {
      assert.ok(route.role !== undefined, `${route.method} ${route.url} has no role`);
    }
  });

  test('the routes of docs/api.md all exist with the role it names', () => {
    const doc = readFileSync(`${repoRoot}docs/api.md`, 'utf8');
    const table = new Map(t.routes.map((r) => [`${r.method} ${r.url}`, r.role]));
    let checked = 0;
    for (const line of doc.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (cells.length < 4 || !/^(GET|POST|PUT|PATCH|DELETE)/.test(cells[1] ?? '')) continue;
      const roles = (cells[2] ?? '').split('/').map((r) => r.trim());
      // "GET/POST /api/users, PATCH/DELETE /api/users/:id" → each method with its path.
      for (const part of (cells[1] ?? '').split(',').map((p) => p.trim())) {
        const [methods, path] = part.split(/\s+/);
        const methodList = methods!.split('/');
        methodList.forEach((method, index) => {
          const key = `${method} ${path}`;
          assert.ok(table.has(key), `docs/api.md names ${key}, which the manager does not serve`);
          const expected = roles.length > 1 && methodList.length === roles.length ? roles[index] : roles[0];
          if (roles.length === 1 || methodList.length === roles.length) {
            assert.equal(table.get(key), expected, `${key} role`);
          }
          checked++;
        });
      }
    }
    assert.ok(checked >= 35, `only ${checked} documented routes were checked`);
  });

  test('no credentials → 401; a role below the one needed → 403; with real API keys', async () => {
    const protectedRoutes = t.routes.filter((r) => r.role !== 'none' && r.method !== 'HEAD');
    for (const route of protectedRoutes) {
      const url = `${t.manager.consoleUrl}${concrete(route.url)}`;
      const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;
      const anonymous = await call(url, { method: route.method, body, ca: t.manager.caCertPem });
      assert.equal(anonymous.status, 401, `${route.method} ${route.url} without credentials`);
      assert.equal(anonymous.json?.type, 'urn:bulwark:problem:unauthenticated');
      assert.match(String(anonymous.headers['content-type']), /^application\/problem\+json/);

      const needed = ROLE_ORDER.indexOf(route.role as Role);
      assert.ok(needed >= 0, `${route.method} ${route.url}: unknown role ${route.role}`);
      for (const lower of ROLE_ORDER.slice(0, needed)) {
        const answer = await call(url, {
          method: route.method,
          body,
          headers: bearer(t.keys[lower]),
          ca: t.manager.caCertPem,
        });
        assert.equal(answer.status, 403, `${route.method} ${route.url} as ${lower}`);
        assert.equal(answer.json?.type, 'urn:bulwark:problem:forbidden');
      }
      // The role itself gets past the check (whatever the handler then says about the fake ids).
      const own = await call(url, {
        method: route.method,
        body,
        headers: bearer(t.keys[route.role as Role]),
        ca: t.manager.caCertPem,
      });
      assert.ok(
        own.status !== 401 && own.status !== 403,
        `${route.method} ${route.url} as ${route.role}: ${own.status}`,
      );
    }
  });

  test('a wrong or malformed API key is 401', async () => {
    for (const authorization of ['Bearer bwk_nope', 'Basic abc', `Bearer ${t.keys.administrator}x`]) {
      const answer = await call(`${t.manager.consoleUrl}/api/me`, {
        headers: { authorization },
        ca: t.manager.caCertPem,
      });
      assert.equal(answer.status, 401, authorization.slice(0, 12));
    }
  });
});

test('a route registered without a role makes startup fail', async () => {
  const { installConsoleAuth } = await import('../../packages/platform-manager/src/http/console-auth.js');
  const app = Fastify();
  // The services are never reached: registration fails first.
  installConsoleAuth(app, {} as Parameters<typeof installConsoleAuth>[1]);
  app.register(async (scope) => {
    scope.get('/api/forgotten', async () => ({ secret: true }));
  });
  await assert.rejects(async () => {
    await app.ready();
  }, /does not declare config\.role/);
  await app.close().catch(() => {});
});
