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

// The rule API refuses what the firewall and integrity compilers would silently leave out on the
// host, with the real modules, over HTTP: nothing is stored and no configuration changes.
const [sqlite] = await testStores();

const webRule = {
  id: 'fw-web',
  name: 'Web',
  action: 'allow',
  priority: 2,
  direction: 'incoming',
  protocol: 'tcp',
  destinationPorts: { ports: [80] },
};
const integrityRule = {
  id: 'etc-watch',
  name: 'Watch etc',
  description: 'x',
  severity: 'high',
  attributes: ['colour'],
  entity: { kind: 'files', base: 'etc', include: ['[a'] },
};

describe('rule API semantic checks (firewall, integrity)', () => {
  let t: TestConsole;
  let key: string;
  let webPolicy: string;
  let dbPolicy: string;
  let web1: string;
  let db1: string;

  before(async () => {
    t = await openTestConsole(sqlite!, [firewallManager, integrityModule]);
    key = must(await t.services.apiKeys.create({ name: 'admin', role: 'administrator' }, SYSTEM_ACTOR)).key;
    webPolicy = must(await t.services.policies.create({ name: 'Web Server' }, SYSTEM_ACTOR)).id;
    dbPolicy = must(await t.services.policies.create({ name: 'Database Server' }, SYSTEM_ACTOR)).id;
    web1 = await activateComputer(t.services, 'web-1', webPolicy);
    db1 = await activateComputer(t.services, 'db-1', dbPolicy);
  });
  after(() => t?.close());

  const request = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.request(key, method, url, payload);

  /** What a refused request must leave as it was: audit log, configuration versions, rules, settings. */
  async function snapshot() {
    const audit = (await request('GET', '/api/audit-log?limit=500')).json().items.length;
    const versions = [];
    const rules = [];
    for (const id of [web1, db1]) {
      versions.push((await request('GET', `/api/computers/${id}`)).json().configurationVersion);
      rules.push((await request('GET', `/api/computers/${id}/rules`)).json().items);
    }
    const catalogue = [];
    for (const module of ['firewall', 'integrity']) {
      catalogue.push((await request('GET', `/api/modules/${module}/rules?limit=500`)).json().items);
    }
    const settings = (await request('GET', `/api/policies/${webPolicy}/settings`)).json().items;
    return { audit, versions, rules, catalogue, settings };
  }

  async function refused(
    response: Awaited<ReturnType<typeof request>>,
    status: number,
    expected: { path: string; message: RegExp }[],
  ) {
    assert.equal(response.statusCode, status, response.body);
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
    const body = response.json();
    assert.equal(body.type, status === 409 ? 'urn:bulwark:problem:conflict' : 'urn:bulwark:problem:validation');
    for (const e of expected) {
      assert.ok(
        body.issues.some((i: ProblemIssue) => i.path === e.path && e.message.test(i.message)),
        `expected an issue at ${e.path} matching ${e.message}; got ${JSON.stringify(body.issues)}`,
      );
    }
    return body as { detail: string; issues: ProblemIssue[] };
  }

  it('refuses a bad CIDR, port 70000 as number and as string, a missing list and frameType other', async () => {
    const before = await snapshot();
    const create = (rule: Record<string, unknown>) =>
      request('POST', '/api/modules/firewall/rules', { ...webRule, id: 'fw-bad', ...rule });
    const cidr = await refused(await create({ source: { addresses: ['10.0.0.0/33'] } }), 400, [
      { path: '/source/addresses/0', message: /10\.0\.0\.0\/33.*prefix length must be 0 to 32/ },
    ]);
    assert.match(cidr.detail, /fw-bad/);
    await refused(await create({ destinationPorts: { ports: [70000] } }), 400, [
      { path: '/destinationPorts/ports/0', message: /65535/ },
    ]);
    await refused(await create({ destinationPorts: { ports: ['70000'] } }), 400, [
      { path: '/destinationPorts/ports/0', message: /70000/ },
    ]);
    await refused(await create({ source: { ipLists: ['nowhere'] } }), 400, [
      { path: '/source/ipLists/0', message: /IP list "nowhere" is not in firewall\.lists\.ipLists of any policy/ },
    ]);
    await refused(await create({ destinationPorts: { portLists: ['web-ports'] } }), 400, [
      { path: '/destinationPorts/portLists/0', message: /port list "web-ports"/ },
    ]);
    await refused(await create({ frameType: 'other', protocol: 'any', destinationPorts: undefined }), 400, [
      { path: '/frameType', message: /other than IPv4, IPv6 and ARP cannot be filtered/ },
    ]);
    assert.equal((await request('GET', '/api/modules/firewall/rules/fw-bad')).statusCode, 404);
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses a malformed integrity rule, naming every field', async () => {
    const before = await snapshot();
    const body = await refused(await request('POST', '/api/modules/integrity/rules', integrityRule), 400, [
      { path: '/entity/base', message: /absolute path/ },
      { path: '/entity/include/0', message: /./ },
      { path: '/attributes/0', message: /"colour" is not an attribute of files/ },
    ]);
    assert.match(body.detail, /etc-watch/);
    assert.equal((await request('GET', '/api/modules/integrity/rules/etc-watch')).statusCode, 404);
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses overrides that break a rule, at the policy and at the computer, storing nothing', async () => {
    assert.equal((await request('POST', '/api/modules/firewall/rules', webRule)).statusCode, 201);
    const assigned = await request('POST', `/api/policies/${webPolicy}/rules`, {
      module: 'firewall',
      ruleIds: ['fw-web'],
    });
    assert.equal(assigned.statusCode, 200, assigned.body);
    const before = await snapshot();
    for (const ports of [[70000], ['70000']]) {
      await refused(
        await request('PUT', `/api/computers/${web1}/rules/firewall/fw-web/overrides`, {
          overrides: { destinationPorts: { ports } },
        }),
        400,
        [{ path: '/overrides/destinationPorts/ports/0', message: /fw-web at computer web-1: .*(65535|70000)/ }],
      );
    }
    await refused(
      await request('PUT', `/api/policies/${webPolicy}/rules/firewall/fw-web/overrides`, {
        overrides: { source: { addresses: ['10.0.0.0/33'] } },
      }),
      400,
      [{ path: '/overrides/source/addresses/0', message: /prefix length/ }],
    );
    await refused(
      await request('PUT', `/api/policies/${webPolicy}/rules/firewall/fw-web/overrides`, {
        overrides: { source: { ipLists: ['admins'] } },
      }),
      400,
      [
        {
          path: '/overrides/source/ipLists/0',
          message: /IP list "admins" is not in the firewall\.lists in effect here/,
        },
      ],
    );
    await refused(
      await request('PUT', `/api/computers/${web1}/rules/integrity/linux-sudoers/overrides`, {
        overrides: { attributes: ['colour'], colour: 'red' },
      }),
      400,
      [
        { path: '/overrides/attributes/0', message: /"colour" is not an attribute of files/ },
        { path: '/overrides/colour', message: /cannot override "colour"/ },
      ],
    );
    assert.deepEqual(await snapshot(), before);
    const fine = await request('PUT', `/api/computers/${web1}/rules/firewall/fw-web/overrides`, {
      overrides: { destinationPorts: { ports: ['8080'] } },
    });
    assert.equal(fine.statusCode, 200, fine.body);
  });

  it('refuses assigning a rule where a list it names does not exist (409), then accepts it where it does', async () => {
    assert.equal(
      (await request('PUT', `/api/policies/${webPolicy}/settings/firewall.lists`, lists(adminsList))).statusCode,
      200,
    );
    const created = await request('POST', '/api/modules/firewall/rules', sshRule);
    assert.equal(created.statusCode, 201, created.body);
    const before = await snapshot();
    const atDb = await refused(
      await request('POST', `/api/computers/${db1}/rules`, { module: 'firewall', ruleIds: ['fw-web', 'fw-ssh'] }),
      409,
      [
        {
          path: '/ruleIds/1',
          message: /fw-ssh at computer db-1: IP list "admins" is not in the firewall\.lists in effect/,
        },
      ],
    );
    assert.match(atDb.detail, /nothing was assigned/);
    await refused(
      await request('POST', `/api/policies/${dbPolicy}/rules`, {
        module: 'firewall',
        ruleIds: ['allow-ssh-from-administrators'],
      }),
      409,
      [{ path: '/ruleIds/0', message: /policy Database Server: IP list "ssh-administrators"/ }],
    );
    assert.deepEqual(await snapshot(), before);
    const atWeb = await request('POST', `/api/policies/${webPolicy}/rules`, {
      module: 'firewall',
      ruleIds: ['fw-ssh'],
    });
    assert.equal(atWeb.statusCode, 200, atWeb.body);
  });

  it('refuses removing or breaking a list an assigned rule refers to (409 naming the rule)', async () => {
    const before = await snapshot();
    const url = `/api/policies/${webPolicy}/settings/firewall.lists`;
    const emptied = await refused(await request('PUT', url, lists()), 409, [
      { path: '/value', message: /fw-ssh at policy Web Server: \/source\/ipLists\/0 IP list "admins"/ },
    ]);
    assert.match(emptied.detail, /firewall\.lists: .*fw-ssh.*unassign/);
    await refused(await request('DELETE', url), 409, [{ path: '/', message: /fw-ssh/ }]);
    // A list entry the firewall cannot read is refused as such (400), used by a rule or not.
    const broken = await refused(await request('PUT', url, lists({ ...adminsList, addresses: ['10.0.0.0/33'] })), 400, [
      { path: '/firewall.lists/ipLists/0/addresses/0', message: /IP list "admins": "10\.0\.0\.0\/33" .*prefix length/ },
    ]);
    assert.match(broken.detail, /firewall\.lists: .*IP list "admins": "10\.0\.0\.0\/33"/);
    // A computer-level override of the lists is checked for the computer's own rules in force.
    await refused(await request('PUT', `/api/computers/${web1}/settings/firewall.lists`, lists()), 409, [
      { path: '/value', message: /fw-ssh at computer web-1/ },
    ]);
    assert.deepEqual(await snapshot(), before);
    const grown = await request('PUT', url, lists(adminsList, { id: 'ops', name: 'Ops', addresses: ['10.1.0.0/16'] }));
    assert.equal(grown.statusCode, 200, grown.body);
  });

  it('refuses firewall list entries the firewall cannot read when the lists are saved (400), nothing stored', async () => {
    const before = await snapshot();
    const url = `/api/policies/${dbPolicy}/settings/firewall.lists`;
    const ports = (...entries: unknown[]) => ({
      value: { ipLists: [], macLists: [], portLists: [{ id: 'web-ports', name: 'Web', ports: [80, ...entries] }] },
    });
    await refused(await request('PUT', url, ports('70000')), 400, [
      {
        path: '/firewall.lists/portLists/0/ports/1',
        message: /port list "web-ports": "70000": ports must be 0 to 65535/,
      },
    ]);
    await refused(await request('PUT', url, ports(70000)), 400, [
      { path: '/firewall.lists/portLists/0/ports/1', message: /port list "web-ports": port 70000 is not 0 to 65535/ },
    ]);
    await refused(
      await request(
        'PUT',
        `/api/computers/${db1}/settings/firewall.lists`,
        lists({ ...adminsList, addresses: ['10.0.0.0/33'] }),
      ),
      400,
      [{ path: '/firewall.lists/ipLists/0/addresses/0', message: /IP list "admins": .*10\.0\.0\.0\/33/ }],
    );
    assert.deepEqual(await snapshot(), before);
    const dbLists = (await request('GET', `/api/policies/${dbPolicy}/settings`))
      .json()
      .items.find((i: { key: string }) => i.key === 'firewall.lists');
    assert.equal(dbLists.source.kind, 'default');
  });

  it('refuses replacing a custom rule with one that cannot be enforced where it is assigned', async () => {
    assert.equal(
      (
        await request(
          'PUT',
          `/api/policies/${dbPolicy}/settings/firewall.lists`,
          lists({ id: 'dba', name: 'DBAs', addresses: ['10.2.0.0/16'] }),
        )
      ).statusCode,
      200,
    );
    const before = await snapshot();
    await refused(
      await request('PUT', '/api/modules/firewall/rules/fw-ssh', { ...sshRule, source: { ipLists: ['typo'] } }),
      400,
      [{ path: '/source/ipLists/0', message: /"typo" is not in firewall\.lists\.ipLists of any policy/ }],
    );
    const elsewhere = await refused(
      await request('PUT', '/api/modules/firewall/rules/fw-ssh', { ...sshRule, source: { ipLists: ['dba'] } }),
      400,
      [{ path: '/source/ipLists/0', message: /fw-ssh at policy Web Server: IP list "dba"/ }],
    );
    assert.match(elsewhere.detail, /would not be enforced where it is assigned/);
    assert.deepEqual(await snapshot(), before);
    const ok = await request('PUT', '/api/modules/firewall/rules/fw-ssh', { ...sshRule, source: { ipLists: ['ops'] } });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('refuses moving a policy under a parent whose lists lack what its rules name', async () => {
    const parent = must(await t.services.policies.create({ name: 'Bare' }, SYSTEM_ACTOR)).id;
    const child = must(await t.services.policies.create({ name: 'Child', parentId: webPolicy }, SYSTEM_ACTOR)).id;
    must(await t.services.rules.assign({ kind: 'policy', id: child }, 'firewall', ['fw-ssh'], SYSTEM_ACTOR));
    const moved = await t.services.policies.move(child, parent, SYSTEM_ACTOR);
    assert.ok(!moved.ok);
    assert.equal(moved.error.kind, 'conflict');
    assert.match(moved.error.message, /fw-ssh at policy Child: .*IP list "ops"/);
  });
});
