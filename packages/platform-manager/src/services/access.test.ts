import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { testStores } from '../storage/test-stores.js';
import type { ApiKey } from './api-keys.js';
import { createServices } from './index.js';
import type { Page } from './pagination.js';
import { hasRole, SYSTEM_ACTOR } from './roles.js';
import { alice, must, mustFail, openTestServices, type TestServices } from './test-services.js';

describe('hasRole', () => {
  it('orders administrator > operator > auditor', () => {
    assert.equal(hasRole({ role: 'administrator' }, 'operator'), true);
    assert.equal(hasRole({ role: 'operator' }, 'operator'), true);
    assert.equal(hasRole({ role: 'operator' }, 'administrator'), false);
    assert.equal(hasRole({ role: 'auditor' }, 'operator'), false);
    assert.equal(hasRole({ role: 'auditor' }, 'auditor'), true);
    assert.equal(hasRole({ role: 'root' }, 'auditor'), false);
  });
});

for (const testStore of await testStores()) {
  describe(`first administrator on a new store (${testStore.name})`, { skip: testStore.skip }, () => {
    it('manager nodes starting together: one creates the administrator, the others skip, none fails', async () => {
      const t = await openTestServices(testStore);
      try {
        const nodes = [t.services, createServices({ db: t.store.db, modules: [], now: t.clock.now })];
        const answers = await Promise.all([0, 1, 2, 3].map((i) => nodes[i % 2]!.users.ensureInitialAdmin()));
        assert.equal(answers.filter((a) => typeof a === 'string').length, 1);
        assert.equal(answers.filter((a) => a === null).length, 3);
      } finally {
        await t.close();
      }
    });
  });

  describe(`users, API keys and sessions (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await openTestServices(testStore);
    });
    after(async () => {
      await t?.close();
    });

    it('bootstraps one administrator with a random password, once', async () => {
      const password = await t.services.users.ensureInitialAdmin();
      assert.equal(typeof password, 'string');
      assert.ok((password ?? '').length >= 20);
      assert.equal(await t.services.users.ensureInitialAdmin(), null);
      const principal = must(await t.services.users.verifyPassword('admin', password ?? ''));
      assert.equal(principal.role, 'administrator');
      assert.equal(principal.kind, 'user');
    });

    it('stores passwords hashed, verifies them, and refuses wrong ones the same way as unknown users', async () => {
      const { users } = t.services;
      const user = must(await users.create({ username: 'bob', password: 'correct horse', role: 'operator' }, alice));
      assert.deepEqual(Object.keys(user).sort(), ['createdAt', 'id', 'role', 'username']);
      const row = await t.store.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
      assert.ok(!row.password_hash.includes('correct horse'));
      assert.match(row.password_hash, /^scrypt\$/);
      must(await users.verifyPassword('bob', 'correct horse'));
      const wrong = mustFail(await users.verifyPassword('bob', 'wrong horse'), 'unauthenticated');
      const unknown = mustFail(await users.verifyPassword('nobody', 'correct horse'), 'unauthenticated');
      assert.equal(wrong, unknown);
      mustFail(await users.create({ username: 'bob', password: 'another one', role: 'auditor' }, alice), 'conflict');
      mustFail(
        await users.create({ username: 'carol', password: 'short', role: 'auditor' }, alice),
        'validation',
        /8 characters/,
      );
      mustFail(
        await users.create({ username: 'bad name', password: 'long enough', role: 'auditor' }, alice),
        'validation',
      );

      must(await users.update(user.id, { password: 'battery staple' }, alice));
      mustFail(await users.verifyPassword('bob', 'correct horse'), 'unauthenticated');
      must(await users.verifyPassword('bob', 'battery staple'));
    });

    it('keeps at least one administrator', async () => {
      const { users } = t.services;
      const admins = must(await users.list({ limit: 500 })).items.filter((u) => u.role === 'administrator');
      assert.equal(admins.length, 1);
      const only = admins[0];
      assert.ok(only);
      mustFail(await users.delete(only.id, alice), 'conflict', /last administrator/);
      mustFail(await users.update(only.id, { role: 'auditor' }, alice), 'conflict', /last administrator/);
      const second = must(
        await users.create({ username: 'dora', password: 'password-2', role: 'administrator' }, alice),
      );
      must(await users.update(only.id, { role: 'operator' }, alice));
      must(await users.update(only.id, { role: 'administrator' }, alice));
      must(await users.delete(second.id, alice));
      mustFail(await users.get(second.id), 'not-found');
    });

    it('authenticates API keys by their secret, shows the key once, and refuses revoked ones', async () => {
      const { apiKeys } = t.services;
      const created = must(await apiKeys.create({ name: 'ci', role: 'operator' }, alice));
      assert.match(created.key, /^bwk_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
      const principal = must(await apiKeys.authenticate(created.key));
      assert.deepEqual(principal, { id: created.apiKey.id, name: 'ci', role: 'operator', kind: 'api-key' });
      const secret = created.key.slice(41);
      const row = await t.store.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', created.apiKey.id)
        .executeTakeFirstOrThrow();
      assert.ok(!row.secret_hash.includes(secret));

      mustFail(await apiKeys.authenticate(`${created.key.slice(0, -1)}x`), 'unauthenticated', /not valid/);
      mustFail(await apiKeys.authenticate('bwk_garbage'), 'unauthenticated');
      mustFail(await apiKeys.authenticate(''), 'unauthenticated');
      const listed = must(await apiKeys.list()).items.find((k) => k.id === created.apiKey.id);
      assert.ok(listed?.lastUsedAt);
      assert.ok(!('key' in (listed ?? {})));

      const revoked = must(await apiKeys.revoke(created.apiKey.id, alice));
      assert.ok(revoked.revokedAt);
      mustFail(await apiKeys.authenticate(created.key), 'unauthenticated', /revoked/);
      mustFail(await apiKeys.revoke('00000000-0000-4000-8000-000000000000', alice), 'not-found');
      mustFail(await apiKeys.create({ name: 'x', role: 'root' as never }, alice), 'validation');
    });

    it('creates sessions with a CSRF token, checks both, and ends them', async () => {
      const { sessions, users } = t.services;
      must(await users.create({ username: 'erin', password: 'erin-password', role: 'auditor' }, alice));
      mustFail(await sessions.login('erin', 'nope-nope'), 'unauthenticated');
      const session = must(await sessions.login('erin', 'erin-password'));
      assert.equal(session.principal.name, 'erin');
      const withCsrf = must(await sessions.authenticate(session.sessionToken, session.csrfToken));
      assert.equal(withCsrf.csrfValid, true);
      assert.equal(withCsrf.principal.role, 'auditor');
      assert.equal(must(await sessions.authenticate(session.sessionToken)).csrfValid, false);
      assert.equal(must(await sessions.authenticate(session.sessionToken, session.sessionToken)).csrfValid, false);
      mustFail(await sessions.authenticate(session.csrfToken), 'unauthenticated');

      const stored = await t.store.db.selectFrom('sessions').selectAll().execute();
      for (const row of stored) {
        assert.notEqual(row.token_hash, session.sessionToken);
        assert.notEqual(row.csrf_hash, session.csrfToken);
      }

      must(await sessions.delete(session.sessionToken));
      mustFail(await sessions.authenticate(session.sessionToken, session.csrfToken), 'unauthenticated');

      const expiring = must(await sessions.login('erin', 'erin-password'));
      t.clock.advance(13 * 60 * 60 * 1000);
      mustFail(await sessions.authenticate(expiring.sessionToken), 'unauthenticated', /expired/);
    });

    it('writes an audit row per change, and no secret ever reaches the audit log', async () => {
      const created = must(await t.services.apiKeys.create({ name: 'audited', role: 'auditor' }, SYSTEM_ACTOR));
      const user = must(
        await t.services.users.create({ username: 'frank', password: 'frank-secret-pw', role: 'auditor' }, alice),
      );
      must(await t.services.users.update(user.id, { password: 'frank-new-secret' }, alice));
      const token = must(await t.services.activationTokens.create({ name: 'audited token' }, alice));
      const entries = must(await t.services.audit.list({ limit: 500 })).items;
      const actions = entries.map((e) => e.action);
      for (const action of ['api-key.create', 'user.create', 'user.update', 'activation-token.create']) {
        assert.ok(actions.includes(action), `no ${action} in the audit log`);
      }
      const update = entries.find((e) => e.action === 'user.update' && e.target.id === user.id);
      assert.deepEqual(update?.after, { ...user, passwordChanged: true });
      assert.deepEqual(update?.before, user);
      const rows = await sql<{
        b: string | null;
        a: string | null;
      }>`select before_json as b, after_json as a from audit_log`.execute(t.store.db);
      const everything = rows.rows.map((r) => `${r.b} ${r.a}`).join('\n');
      for (const secret of [
        created.key,
        created.key.slice(41),
        'frank-secret-pw',
        'frank-new-secret',
        token.token,
        'scrypt$',
      ]) {
        assert.ok(!everything.includes(secret), `audit log contains a secret: ${secret.slice(0, 12)}…`);
      }
      assert.ok(!/hash/i.test(everything), 'audit log mentions a hash');
    });

    it('pages lists with an opaque cursor and refuses a forged one', async () => {
      for (let i = 0; i < 5; i++) must(await t.services.apiKeys.create({ name: `page ${i}`, role: 'auditor' }, alice));
      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Page<ApiKey> = must(await t.services.apiKeys.list({ limit: 2, cursor }));
        for (const item of page.items) {
          assert.ok(!seen.has(item.id), 'an item came twice');
          seen.add(item.id);
        }
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      const all = must(await t.services.apiKeys.list({ limit: 500 })).items;
      assert.equal(seen.size, all.length);
      assert.equal(pages, Math.ceil(all.length / 2), 'the last page has no next cursor');
      mustFail(await t.services.apiKeys.list({ cursor: 'not a cursor!' }), 'validation');
      mustFail(await t.services.apiKeys.list({ cursor: Buffer.from('["x"]').toString('base64url') }), 'validation');
      mustFail(await t.services.apiKeys.list({ limit: 0 }), 'validation');
      mustFail(await t.services.apiKeys.list({ limit: 501 }), 'validation');
    });
  });
}
