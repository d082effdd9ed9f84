import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { managerModule as firewallManager } from '@bulwark/module-firewall/manager';
import { managerModule as integrityModule } from '@bulwark/module-integrity/manager';
import { SYSTEM_ACTOR } from '../../services/roles.js';
import { activateComputer, must } from '../../services/test-services.js';
import { testStores } from '../../storage/test-stores.js';
import type { ProblemIssue } from '../problem-types.js';
import { openTestConsole, type TestConsole } from '../test-console.js';
import { adminsList, lists, sshRule } from './rule-check-fixtures.js';

// Moving a computer to another policy, and deleting a policy with force (its children and
// computers move up), change the settings the rules in force there see. Over HTTP with the real
// firewall: a move that would leave a rule naming a list the new place lacks is refused (409)
// and stores nothing; the same move once the list is there goes through.
const [sqlite] = await testStores();

describe('moves that rule checks guard (computer to another policy, policy delete with force)', () => {
  let t: TestConsole;
  let key: string;

  before(async () => {
    t = await openTestConsole(sqlite!, [firewallManager, integrityModule]);
    key = must(await t.services.apiKeys.create({ name: 'admin', role: 'administrator' }, SYSTEM_ACTOR)).key;
  });
  after(() => t?.close());

  const request = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    t.request(key, method, url, payload);
  const ok = async (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const response = await request(method, url, payload);
    assert.equal(response.statusCode < 300, true, `${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json();
  };
  const policy = async (name: string, parentId: string | null = null): Promise<string> =>
    (await ok('POST', '/api/policies', { name, parentId })).id;

  /** What a refused move must leave as it was: audit log, policy tree, computers and their configuration. */
  async function snapshot(computerIds: readonly string[]) {
    const audit = (await request('GET', '/api/audit-log?limit=500')).json().items.length;
    const policies = (await request('GET', '/api/policies')).json();
    const computers = [];
    for (const id of computerIds) {
      const c = (await request('GET', `/api/computers/${id}`)).json();
      computers.push({ name: c.name, policyId: c.policyId, configurationVersion: c.configurationVersion });
    }
    return { audit, policies, computers };
  }

  async function conflict(
    response: Awaited<ReturnType<typeof request>>,
    expected: { path: string; message: RegExp }[],
  ) {
    assert.equal(response.statusCode, 409, response.body);
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
    const body = response.json() as { type: string; detail: string; issues: ProblemIssue[] };
    assert.equal(body.type, 'urn:bulwark:problem:conflict');
    for (const e of expected) {
      assert.ok(
        body.issues.some((i) => i.path === e.path && e.message.test(i.message)),
        `expected an issue at ${e.path} matching ${e.message}; got ${JSON.stringify(body.issues)}`,
      );
    }
    return body;
  }

  it('refuses moving a computer to a policy that lacks a list a rule assigned on the computer names', async () => {
    const withLists = await policy('With lists');
    const bare = await policy('Bare');
    await ok('PUT', `/api/policies/${withLists}/settings/firewall.lists`, lists(adminsList));
    await ok('POST', '/api/modules/firewall/rules', sshRule);
    const web1 = await activateComputer(t.services, 'web-1', withLists);
    const web2 = await activateComputer(t.services, 'web-2', withLists);
    await ok('POST', `/api/computers/${web1}/rules`, { module: 'firewall', ruleIds: ['fw-ssh'] });
    const before = await snapshot([web1, web2]);

    const refused = await conflict(
      await request('PATCH', `/api/computers/${web1}`, { name: 'renamed', policyId: bare }),
      [{ path: '/policyId', message: /fw-ssh at computer web-1: \/source\/ipLists\/0 IP list "admins" is not in/ }],
    );
    assert.match(
      refused.detail,
      /moving computer web-1 to policy Bare .*nothing was changed: fw-ssh at computer web-1/,
    );
    await conflict(await request('PATCH', `/api/computers/${web1}`, { policyId: null }), [
      { path: '/policyId', message: /fw-ssh at computer web-1: .*IP list "admins"/ },
    ]);
    assert.deepEqual(await snapshot([web1, web2]), before);

    // A computer with no rules of its own takes the new policy's rules as they are: nothing to refuse.
    assert.equal((await ok('PATCH', `/api/computers/${web2}`, { policyId: bare })).policyId, bare);
    // Once the new policy has the list, the move goes through and the computer's configuration changes.
    await ok(
      'PUT',
      `/api/policies/${bare}/settings/firewall.lists`,
      lists({ ...adminsList, addresses: ['10.8.0.0/16'] }),
    );
    const moved = await ok('PATCH', `/api/computers/${web1}`, { policyId: bare });
    assert.equal(moved.policyId, bare);
    assert.notEqual(moved.configurationVersion, before.computers[0]?.configurationVersion);
  });
  it('refuses deleting a policy with force when what moves up would lose a list its rules name', async () => {
    const top = await policy('Top');
    await ok('PUT', `/api/policies/${top}/settings/firewall.lists`, lists(adminsList));
    const child = await policy('Child', top);
    await ok('POST', `/api/policies/${child}/rules`, { module: 'firewall', ruleIds: ['fw-ssh'] });
    const db1 = await activateComputer(t.services, 'db-1', top);
    await ok('POST', `/api/computers/${db1}/rules`, { module: 'firewall', ruleIds: ['fw-ssh'] });
    const plain = await activateComputer(t.services, 'db-2', top);
    const grandchild = await activateComputer(t.services, 'db-3', child);
    const computers = [db1, plain, grandchild];
    const before = await snapshot(computers);

    // Top is a root: the child and the computers would move to the top level, where no lists are.
    const refused = await conflict(await request('DELETE', `/api/policies/${top}?force=true`), [
      { path: '/', message: /fw-ssh at policy Child: \/source\/ipLists\/0 IP list "admins"/ },
      { path: '/', message: /fw-ssh at computer db-1: \/source\/ipLists\/0 IP list "admins"/ },
    ]);
    assert.match(refused.detail, /deleting policy Top .*to the top level .*nothing was deleted/);
    assert.deepEqual(await snapshot(computers), before);
    assert.equal((await request('GET', `/api/policies/${top}`)).statusCode, 200);

    // Under a parent that has the list, the same delete goes through and everything moves up.
    const base = await policy('Base');
    await ok('PUT', `/api/policies/${base}/settings/firewall.lists`, lists(adminsList));
    await ok('POST', `/api/policies/${top}/move`, { parentId: base });
    // A parent whose list has the id but is not the same is fine too: the entries are the parent's.
    await ok(
      'PUT',
      `/api/policies/${base}/settings/firewall.lists`,
      lists({ ...adminsList, addresses: ['10.9.0.0/16'] }),
    );
    const deleted = await ok('DELETE', `/api/policies/${top}?force=true`);
    assert.deepEqual([...deleted.changedComputerIds].sort(), [...computers].sort());
    assert.equal((await request('GET', `/api/policies/${child}`)).json().parentId, base);
    for (const id of [db1, plain]) assert.equal((await request('GET', `/api/computers/${id}`)).json().policyId, base);
  });
});
