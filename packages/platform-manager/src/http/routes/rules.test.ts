import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_ACTOR } from '../../services/roles.js';
import { inventoryWith, ruleTestModule } from '../../services/rules-test-module.js';
import { activateComputer, must, sampleModule } from '../../services/test-services.js';
import { testStores } from '../../storage/test-stores.js';
import { openTestConsole, type TestConsole } from '../test-console.js';
import { WakeHub } from '../wake-hub.js';

// HTTP behaviour of the rule routes over SQLite; the services' own tests run on both stores and
// test/manager/route-roles.test.ts checks every route's role against a running manager.
const [sqlite] = await testStores();

describe('rule routes', () => {
  let t: TestConsole;
  const woken: string[] = [];
  const roles = ['administrator', 'operator', 'auditor'] as const;
  const keys = {} as Record<(typeof roles)[number], string>;

  before(async () => {
    const wakeHub = new WakeHub();
    const wake = wakeHub.wake.bind(wakeHub);
    wakeHub.wake = (ids) => {
      woken.push(...ids);
      return wake(ids);
    };
    t = await openTestConsole(sqlite!, [sampleModule, ruleTestModule], wakeHub);
    for (const role of roles) {
      keys[role] = must(await t.services.apiKeys.create({ name: role, role }, SYSTEM_ACTOR)).key;
    }
  });
  after(() => t?.close());

  const request = (
    role: (typeof roles)[number],
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ) => t.request(keys[role], method, url, payload);

  it('creates custom rules: a bad one is 400 naming the field and stored nowhere; unknown module 404', async () => {
    const bad = await request('administrator', 'POST', '/api/modules/guard/rules', {
      id: 'C-9',
      name: 'x',
      mode: 'block',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().type, 'urn:bulwark:problem:validation');
    assert.match(bad.json().detail, /\/mode/);
    assert.ok(bad.json().issues.some((i: { path: string }) => i.path === '/mode'));
    const unknown = await request('administrator', 'POST', '/api/modules/nope/rules', { id: 'C-9' });
    assert.equal(unknown.statusCode, 404);
    assert.equal((await request('operator', 'POST', '/api/modules/guard/rules', { id: 'C-9' })).statusCode, 403);
    const created = await request('administrator', 'POST', '/api/modules/guard/rules', {
      id: 'C-9',
      name: 'Custom',
      mode: 'detect',
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().builtIn, false);
    const list = await request('auditor', 'GET', '/api/modules/guard/rules?limit=3');
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json().items.map((r: { id: string }) => r.id),
      ['C-9', 'G-100', 'G-200'],
    );
    const next = await request('auditor', 'GET', `/api/modules/guard/rules?limit=3&cursor=${list.json().nextCursor}`);
    assert.deepEqual(
      next.json().items.map((r: { id: string }) => r.id),
      ['G-300'],
    );
    assert.deepEqual(list.json().items[1].definition, {
      id: 'G-100',
      name: 'SSH brute force',
      mode: 'prevent',
      port: 22,
    });
  });

  it('replaces and deletes a custom rule; built-ins are read-only (409)', async () => {
    const builtIn = await request('administrator', 'PUT', '/api/modules/guard/rules/G-100', {
      id: 'G-100',
      name: 'x',
      mode: 'detect',
    });
    assert.equal(builtIn.statusCode, 409);
    const bad = await request('administrator', 'PUT', '/api/modules/guard/rules/C-9', {
      id: 'C-9',
      name: 'x',
      mode: 1,
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /\/mode/);
    const replaced = await request('administrator', 'PUT', '/api/modules/guard/rules/C-9', {
      id: 'C-9',
      name: 'Renamed',
      mode: 'prevent',
    });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(replaced.json().rule.definition.name, 'Renamed');
    assert.equal((await request('operator', 'DELETE', '/api/modules/guard/rules/C-9')).statusCode, 403);
    assert.equal((await request('administrator', 'DELETE', '/api/modules/guard/rules/C-9')).statusCode, 200);
    assert.equal((await request('auditor', 'GET', '/api/modules/guard/rules/C-9')).statusCode, 404);
  });

  it('assigns at a policy (administrator) and a computer (operator), wakes the agents, shows Assigned to', async () => {
    const policy = must(await t.services.policies.create({ name: 'Web Server' }, SYSTEM_ACTOR));
    const computerId = await activateComputer(t.services, 'web-1', policy.id);
    woken.length = 0;
    assert.equal(
      (await request('operator', 'POST', `/api/policies/${policy.id}/rules`, { module: 'guard', ruleIds: ['G-100'] }))
        .statusCode,
      403,
    );
    const atPolicy = await request('administrator', 'POST', `/api/policies/${policy.id}/rules`, {
      module: 'guard',
      ruleIds: ['G-100', 'G-200'],
    });
    assert.equal(atPolicy.statusCode, 200, atPolicy.body);
    assert.deepEqual(atPolicy.json().changedComputerIds, [computerId]);
    assert.deepEqual(woken, [computerId]);
    const atComputer = await request('operator', 'POST', `/api/computers/${computerId}/rules`, {
      module: 'guard',
      ruleIds: ['G-200'],
    });
    assert.equal(atComputer.statusCode, 200, atComputer.body);
    const overrides = await request('operator', 'PUT', `/api/computers/${computerId}/rules/guard/G-100/overrides`, {
      overrides: { mode: 'detect' },
    });
    assert.equal(overrides.statusCode, 200, overrides.body);

    const effective = await request('auditor', 'GET', `/api/computers/${computerId}/rules?module=guard`);
    assert.equal(effective.statusCode, 200);
    assert.deepEqual(
      effective
        .json()
        .items.map((r: { id: string; overrides: unknown; assignedAt: { kind: string }[] }) => [
          r.id,
          r.overrides,
          r.assignedAt.map((s) => s.kind),
        ]),
      [
        ['G-100', { mode: 'detect' }, ['policy']],
        ['G-200', {}, ['policy', 'computer']],
      ],
    );
    const rule = await request('auditor', 'GET', '/api/modules/guard/rules/G-200');
    assert.deepEqual(
      rule.json().assignedTo.map((s: { kind: string; name: string }) => `${s.kind}:${s.name}`),
      ['policy:Web Server', 'computer:web-1'],
    );

    woken.length = 0;
    const removed = await request('administrator', 'DELETE', `/api/policies/${policy.id}/rules`, {
      module: 'guard',
      ruleIds: ['G-200'],
    });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual(removed.json().changedComputerIds, [], 'still assigned at the computer');
    const again = await request('operator', 'DELETE', `/api/computers/${computerId}/rules`, {
      module: 'guard',
      ruleIds: ['G-300'],
    });
    assert.equal(again.statusCode, 404);
    const gone = await request('operator', 'DELETE', `/api/computers/${computerId}/rules`, {
      module: 'guard',
      ruleIds: ['G-200'],
    });
    assert.deepEqual(gone.json().changedComputerIds, [computerId]);
    assert.deepEqual(woken, [computerId]);
  });

  it('excludes a rule from recommendations and runs a scan with auto-apply', async () => {
    const computerId = await activateComputer(t.services, 'db-1', null);
    const none = await request('operator', 'POST', `/api/computers/${computerId}/recommendation-scan`, {});
    assert.equal(none.statusCode, 404);
    must(await t.services.inventory.store(computerId, inventoryWith(['openssh-server', 'postgresql'])));
    assert.equal(
      (
        await request('operator', 'PUT', '/api/modules/guard/rules/G-300/exclude-from-recommendations', {
          excluded: true,
        })
      ).statusCode,
      403,
    );
    const exclude = await request(
      'administrator',
      'PUT',
      '/api/modules/guard/rules/G-300/exclude-from-recommendations',
      {
        excluded: true,
      },
    );
    assert.equal(exclude.statusCode, 200, exclude.body);
    assert.equal(
      (await request('auditor', 'GET', '/api/modules/guard/rules/G-300')).json().excludedFromRecommendations,
      true,
    );
    woken.length = 0;
    const scan = await request('operator', 'POST', `/api/computers/${computerId}/recommendation-scan`, {
      autoApply: true,
    });
    assert.equal(scan.statusCode, 200, scan.body);
    assert.deepEqual(scan.json().recommended, { guard: ['G-100', 'G-300'] });
    assert.deepEqual(scan.json().applied, { guard: ['G-100'] });
    assert.deepEqual(scan.json().excluded, { guard: ['G-300'] });
    assert.deepEqual(woken, [computerId]);
    const last = await request('auditor', 'GET', `/api/computers/${computerId}/recommendation-scan`);
    assert.equal(last.statusCode, 200);
    assert.deepEqual(last.json().applied, { guard: ['G-100'] });
  });
});
