import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startTestManager, type TestManager } from '../manager/manager-harness.js';

let t: TestManager;
before(async () => {
  t = await startTestManager();
});
after(() => t?.close());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

test('PUT loginspect.sources with a bad multi-line pattern is a 400 naming the setting and the entry; nothing is stored', async () => {
  const ca = t.manager.caCertPem;
  const api = (path: string) => `${t.manager.consoleUrl}${path}`;
  const headers = bearer(t.keys.administrator);
  const created = await call(api('/api/policies'), { body: { name: 'Log servers' }, headers, ca });
  assert.equal(created.status, 201, created.text);
  const policy = created.json.id as string;
  const url = api(`/api/policies/${policy}/settings/loginspect.sources`);
  const sources = (pattern: string) => ({
    files: ['/var/log/syslog', { path: '/var/log/app/*.log', multiline: { pattern, match: 'after' } }],
    journald: false,
  });

  const bad = await call(url, { method: 'PUT', body: { value: sources('^[0-9') }, headers, ca });
  assert.equal(bad.status, 400, bad.text);
  assert.match(String(bad.headers['content-type']), /application\/problem\+json/);
  assert.match(
    bad.json.detail,
    /^loginspect\.sources: \/files\/1\/multiline\/pattern: "\^\[0-9" is not a valid JavaScript regular expression \(Invalid regular expression: .*\); the agent could not join the lines of \/var\/log\/app\/\*\.log$/,
  );
  const effective = await call(api(`/api/policies/${policy}/settings`), { headers, ca });
  const stored = effective.json.items.find((s: { key: string }) => s.key === 'loginspect.sources');
  assert.equal(stored.overridden, false, 'the bad value was not stored');

  const good = await call(url, { method: 'PUT', body: { value: sources('^\\s') }, headers, ca });
  assert.equal(good.status, 200, good.text);
  const after = await call(api(`/api/policies/${policy}/settings`), { headers, ca });
  const now = after.json.items.find((s: { key: string }) => s.key === 'loginspect.sources');
  assert.equal(now.overridden, true);
  assert.equal(now.value.files[1].multiline.pattern, '^\\s');
});
