import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { managerModules } from '../../modules/registry.js';
import { raiseAlert } from '../../services/alerts.js';
import { SYSTEM_ACTOR } from '../../services/roles.js';
import { inventoryWith } from '../../services/rules-test-module.js';
import { activateComputer, must } from '../../services/test-services.js';
import { type CliConsole, openCliConsole } from '../cli-test-console.js';

// The commands the API had and the CLI lacked, against the real console with the real modules.
describe('bulwark: computers, policies, users, custom rules and events by name', () => {
  let cli: CliConsole;
  let web1: string;
  let policyId: string;
  before(async () => {
    cli = await openCliConsole(managerModules);
    const s = cli.t.services;
    policyId = must(await s.policies.create({ name: 'Linux Server' }, SYSTEM_ACTOR)).id;
    web1 = await activateComputer(s, 'web-1', policyId);
    must(await s.inventory.store(web1, inventoryWith(['openssh-server', 'nginx'])));
  });
  after(() => cli?.close());

  it('computers by name: show, rename, inventory, recommend --last, deactivate; ambiguous names list the candidates', async () => {
    const shown = await cli.json('computers', 'show', 'web-1');
    assert.equal(shown.code, 0, shown.err);
    assert.equal((shown.value as { id: string }).id, web1);
    assert.equal((await cli.run('computers', 'show', 'nope')).code, 4);

    const renamed = await cli.json('computers', 'rename', 'web-1', 'frontend-1');
    assert.equal(renamed.code, 0, renamed.err);
    assert.equal((renamed.value as { name: string }).name, 'frontend-1');
    assert.equal((await cli.json('computers', 'show', 'frontend-1')).code, 0, 'found by its new name');

    const inventory = await cli.run('computers', 'inventory', 'frontend-1');
    assert.equal(inventory.code, 0, inventory.err);
    assert.match(inventory.out, /Packages:\s+2/);
    const packages = await cli.json('computers', 'inventory', 'frontend-1', '--section', 'packages');
    assert.deepEqual(
      (packages.value as { name: string }[]).map((p) => p.name),
      ['openssh-server', 'nginx'],
    );
    assert.equal((await cli.run('computers', 'inventory', web1, '--section', 'disks')).code, 2);

    assert.equal((await cli.run('computers', 'recommend', 'frontend-1', '--last')).code, 4, 'no scan yet');
    assert.equal((await cli.run('computers', 'recommend', 'frontend-1')).code, 0);
    const last = await cli.json('computers', 'recommend', 'frontend-1', '--last');
    assert.equal(last.code, 0, last.err);
    assert.equal((last.value as { computerId: string }).computerId, web1);

    const twin = await activateComputer(cli.t.services, 'frontend-1');
    const ambiguous = await cli.run('computers', 'show', 'frontend-1');
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.err, /2 computers are named "frontend-1": give the id/);
    assert.ok(ambiguous.err.includes(web1) && ambiguous.err.includes(twin), ambiguous.err);

    const deactivated = await cli.json('computers', 'deactivate', twin);
    assert.equal(deactivated.code, 0, deactivated.err);
    assert.equal((deactivated.value as { status: string }).status, 'deactivated');
    assert.equal(
      (await cli.json('computers', 'show', 'frontend-1')).code,
      0,
      'a deactivated computer does not make a live one ambiguous',
    );
  });

  it('policies rename; ambiguous policy names list the candidates', async () => {
    const renamed = await cli.json(
      'policies',
      'rename',
      'Linux Server',
      'Linux Servers',
      '--description',
      'all of them',
    );
    assert.equal(renamed.code, 0, renamed.err);
    assert.equal((renamed.value as { name: string }).name, 'Linux Servers');
    const other = must(
      await cli.t.services.policies.create({ name: 'Linux Servers', parentId: policyId }, SYSTEM_ACTOR),
    );
    const ambiguous = await cli.run('policies', 'show', 'Linux Servers');
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.err, new RegExp(`${other.id}  Linux Servers, under Linux Servers`));
    assert.match(ambiguous.err, new RegExp(`${policyId}  Linux Servers, top level`));
  });

  it('users set-role by username', async () => {
    must(
      await cli.t.services.users.create(
        { username: 'ann', password: 'a long enough password', role: 'auditor' },
        SYSTEM_ACTOR,
      ),
    );
    const changed = await cli.json('users', 'set-role', 'ann', '--role', 'operator');
    assert.equal(changed.code, 0, changed.err);
    assert.equal((changed.value as { role: string }).role, 'operator');
    assert.equal((await cli.run('users', 'set-role', 'bob', '--role', 'operator')).code, 4);
    assert.equal((await cli.run('users', 'set-role', 'ann', '--role', 'boss')).code, 2);
  });

  it('rules update replaces a custom rule; rules list without --module lists every module', async () => {
    const file = join(cli.t.dir, 'rule.json');
    await writeFile(file, JSON.stringify({ id: 'local-1', description: 'first', group: 'sshd' }));
    assert.equal((await cli.run('rules', 'create', 'loginspect', file)).code, 0);
    await writeFile(file, JSON.stringify({ description: 'second', group: 'sudo' }));
    const updated = await cli.json('rules', 'update', 'loginspect', 'local-1', file);
    assert.equal(updated.code, 0, updated.err);
    const shown = await cli.json('rules', 'show', 'loginspect', 'local-1');
    assert.deepEqual((shown.value as { definition: unknown }).definition, {
      id: 'local-1',
      description: 'second',
      group: 'sudo',
    });

    const all = await cli.json('rules', 'list');
    assert.equal(all.code, 0, all.err);
    const modules = new Set((all.value as { module: string }[]).map((r) => r.module));
    // Every module with built-in rules, and log inspection for the custom rule made above.
    const withRules = managerModules
      .filter((m) => (m.builtInRules?.length ?? 0) > 0 || m.id === 'loginspect')
      .map((m) => m.id);
    assert.deepEqual([...modules].sort(), withRules.sort());
    assert.match((await cli.run('rules', 'list')).out, /^MODULE\s+ID\s+ORIGIN\s+NAME/);
  });

  it('events list shows computer names and takes --computer by name; an unknown --type is refused with the types', async () => {
    must(
      await cli.t.services.events.ingest(web1, [
        {
          seq: 1,
          time: '2026-01-01T00:00:00.000Z',
          module: 'firewall',
          type: 'packet',
          severity: 'low',
          ruleId: 'deny-fragments',
          summary: 'Deny: tcp 10.0.0.9 -> 10.0.0.1:22',
        },
      ]),
    );
    const listed = await cli.run('events', 'list', '--computer', 'frontend-1', '--since', '2025-12-01T00:00:00Z');
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /frontend-1\s+firewall\s+deny-fragments\s/);
    const json = await cli.json('events', 'list', '--since', '2025-12-01T00:00:00Z');
    const first = (json.value as { computerName: string; assignableRuleId: string }[])[0];
    assert.equal(first?.computerName, 'frontend-1');
    assert.equal(first?.assignableRuleId, 'deny-fragments', 'a catalogue rule id is its own assignable rule');

    const unknown = await cli.run('events', 'list', '--type', 'pakcet');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no module emits events of type "pakcet"; the types are .*packet/);
    const wrongModule = await cli.run('events', 'list', '--module', 'loginspect', '--type', 'packet');
    assert.match(
      wrongModule.err,
      /module loginspect emits no events of type "packet"; the types are [a-z, -]*\brule-match\b/,
    );
    assert.equal((await cli.run('events', 'list', '--type', 'packet')).code, 0);

    await raiseAlert(cli.t.store.db, Date.now(), 'computer-offline', web1, 'no heartbeat for 10 minutes');
    const alerts = await cli.run('alerts', 'list');
    assert.match(alerts.out, /computer-offline\s+frontend-1\s+no heartbeat/);
  });
});
