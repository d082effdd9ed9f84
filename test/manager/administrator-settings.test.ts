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

/** Item 1 of issue 10 (manager side): which files agents read as root is an administrator's decision. */
describe('settings a module declares administrator-only', () => {
  let t: TestManager;
  let agent: FakeAgent;
  before(async () => {
    t = await startTestManager();
    agent = await activateFakeAgent(t.manager);
  });
  after(async () => {
    await t?.close();
  });

  const put = (key: string, value: unknown, apiKey: string) =>
    call(`${t.manager.consoleUrl}/api/computers/${agent.computerId}/settings/${key}`, {
      method: 'PUT',
      body: { value },
      headers: bearer(apiKey),
      ca: t.manager.caCertPem,
    });

  test('an operator may not set or remove loginspect.sources on a computer; an administrator may', async () => {
    const modules = await call(`${t.manager.consoleUrl}/api/modules`, {
      headers: bearer(t.keys.auditor),
      ca: t.manager.caCertPem,
    });
    const loginspect = modules.json.items.find((m: { id: string }) => m.id === 'loginspect');
    assert.deepEqual(loginspect.administratorSettings, ['sources']);

    const current = await call(`${t.manager.consoleUrl}/api/computers/${agent.computerId}/settings`, {
      headers: bearer(t.keys.auditor),
      ca: t.manager.caCertPem,
    });
    const sources = current.json.items.find((s: { key: string }) => s.key === 'loginspect.sources').value;

    const refused = await put('loginspect.sources', sources, t.keys.operator);
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.json.detail, /loginspect\.sources .*only an administrator may change it/);
    const removal = await call(
      `${t.manager.consoleUrl}/api/computers/${agent.computerId}/settings/loginspect.sources`,
      {
        method: 'DELETE',
        headers: bearer(t.keys.operator),
        ca: t.manager.caCertPem,
      },
    );
    assert.equal(removal.status, 403);

    assert.equal((await put('loginspect.sources', sources, t.keys.administrator)).status, 200);
    assert.equal(
      (await put('loginspect.minimumLevel', 7, t.keys.operator)).status,
      200,
      'other settings stay operator',
    );
  });
});
