import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCOUNT_LIMIT, ADDRESS_LIMIT } from '../../packages/platform-manager/src/http/login-throttle.js';
import { bearer, call, type HttpAnswer, startTestManager, type TestManager } from './manager-harness.js';

function cookieOf(answer: HttpAnswer): string {
  const header = answer.headers['set-cookie'];
  const first = (Array.isArray(header) ? header[0] : header) ?? '';
  return first.split(';')[0] ?? '';
}

describe('sign-in: throttled atomically per address and per account, audited, first password forced to change', () => {
  let t: TestManager;
  before(async () => {
    t = await startTestManager();
    const bob = await t.manager.services.users.create(
      { username: 'bob', password: 'correct horse', role: 'operator' },
      { kind: 'system', id: null, name: 'test' },
    );
    assert.ok(bob.ok);
  });
  after(async () => {
    await t?.close();
  });

  const signIn = (username: string, password: string, localAddress = '127.0.0.1') =>
    call(`${t.manager.consoleUrl}/api/sessions`, {
      body: { username, password },
      ca: t.manager.caCertPem,
      localAddress,
      // Each tried password costs a scrypt at OWASP's figure; a hundred at once queue behind it.
      timeoutMs: 180_000,
    });

  async function audit(action: string): Promise<{ after: Record<string, unknown> }[]> {
    const page = await t.manager.services.audit.list({ limit: 500 });
    assert.ok(page.ok);
    return page.value.items.filter((e) => e.action === action) as never;
  }

  test('100 wrong passwords sent at once from one address: at most the limit are tried, and each is audited', async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, () => signIn('bob', 'wrong password', '127.0.0.1')));
    const tried = answers.filter((a) => a.status === 401).length;
    const refused = answers.filter((a) => a.status === 429);
    assert.equal(tried + refused.length, 100, answers.map((a) => a.status).join(','));
    assert.ok(tried <= ADDRESS_LIMIT.maxFailures, `${tried} passwords were tried`);
    assert.ok(tried >= 1);
    assert.match(String(refused[0]?.headers['retry-after']), /^\d+$/);
    assert.equal(refused[0]?.json.type, 'urn:bulwark:problem:rate-limited');
    const failures = await audit('session.login-failed');
    assert.equal(failures.length, tried);
    assert.equal(failures[0]?.after.username, 'bob');
    assert.equal(failures[0]?.after.address, '127.0.0.1');
  });

  test('one account is held back after its limit, whatever address the guesses come from', async () => {
    // Fresh addresses, one or two failures each: only the per-account limit can stop them.
    const before = (await audit('session.login-failed')).length;
    let held: HttpAnswer | undefined;
    for (let i = 0; i < ACCOUNT_LIMIT.maxFailures + 5 && held === undefined; i++) {
      const answer = await signIn('bob', 'wrong again', `127.0.1.${i + 1}`);
      if (answer.status === 429) held = answer;
      else assert.equal(answer.status, 401);
    }
    assert.ok(held, 'the account was never held back');
    const tried = (await audit('session.login-failed')).length - before;
    assert.ok(tried + ADDRESS_LIMIT.maxFailures >= ACCOUNT_LIMIT.maxFailures - 1 && tried <= ACCOUNT_LIMIT.maxFailures);
    // Another account from a fresh address is not affected.
    const other = await signIn('nobody', 'x-password', '127.0.2.1');
    assert.equal(other.status, 401);
    // The audit log lists newest first.
    const unknown = (await audit('session.login-failed'))[0];
    assert.equal(unknown?.after.username, null, 'an unknown name is not stored (it may be a password)');
  });

  test('the first administrator signs in once with the printed password and must change it before anything else', async () => {
    const password = t.manager.initialAdminPassword;
    assert.ok(password);
    const login = await signIn('admin', password, '127.0.3.1');
    assert.equal(login.status, 200, login.text);
    assert.equal(login.json.user.mustChangePassword, true);
    const session = { cookie: cookieOf(login), 'x-csrf-token': login.json.csrfToken };
    const blocked = await call(`${t.manager.consoleUrl}/api/computers`, { headers: session, ca: t.manager.caCertPem });
    assert.equal(blocked.status, 403);
    assert.match(blocked.json.detail, /PUT \/api\/me\/password/);
    const me = await call(`${t.manager.consoleUrl}/api/me`, { headers: session, ca: t.manager.caCertPem });
    assert.equal(me.json.mustChangePassword, true);

    const wrong = await call(`${t.manager.consoleUrl}/api/me/password`, {
      method: 'PUT',
      body: { currentPassword: 'not it at all', newPassword: 'a new long password' },
      headers: session,
      ca: t.manager.caCertPem,
    });
    assert.equal(wrong.status, 400);
    const changed = await call(`${t.manager.consoleUrl}/api/me/password`, {
      method: 'PUT',
      body: { currentPassword: password, newPassword: 'a new long password' },
      headers: session,
      ca: t.manager.caCertPem,
    });
    assert.equal(changed.status, 200, changed.text);
    const allowed = await call(`${t.manager.consoleUrl}/api/computers`, { headers: session, ca: t.manager.caCertPem });
    assert.equal(allowed.status, 200, 'the same session goes on once the password changed');
    assert.equal((await signIn('admin', password, '127.0.3.2')).status, 401, 'the printed password is gone');
    const again = await signIn('admin', 'a new long password', '127.0.3.3');
    assert.equal(again.status, 200);
    assert.equal(again.json.user.mustChangePassword, undefined);
    const logins = await audit('session.login');
    assert.ok(logins.some((e) => e.after.username === 'admin' && e.after.address === '127.0.3.3'));
    assert.equal((await audit('user.password-change')).length, 1);
  });

  test('an API key has no password to change', async () => {
    const answer = await call(`${t.manager.consoleUrl}/api/me/password`, {
      method: 'PUT',
      body: { currentPassword: 'whatever1', newPassword: 'whatever2' },
      headers: bearer(t.keys.auditor),
      ca: t.manager.caCertPem,
    });
    assert.equal(answer.status, 400);
  });
});
