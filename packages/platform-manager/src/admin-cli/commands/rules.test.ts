import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { openTestConsole, type TestConsole } from '../../http/test-console.js';
import { SYSTEM_ACTOR } from '../../services/roles.js';
import { inventoryWith, ruleTestModule } from '../../services/rules-test-module.js';
import { activateComputer, must, sampleModule } from '../../services/test-services.js';
import { testStores } from '../../storage/test-stores.js';
import { runCli } from '../run-cli.js';

// The rule commands against the manager's real console server (SQLite, HTTPS with its own CA).
const [sqlite] = await testStores();

describe('bulwark rules / computers recommend', () => {
  let t: TestConsole;
  let base: string[];

  before(async () => {
    t = await openTestConsole(sqlite!, [sampleModule, ruleTestModule]);
    await writeFile(join(t.dir, 'ca.crt'), t.pki.caCertPem);
    const key = must(await t.services.apiKeys.create({ name: 'cli', role: 'administrator' }, SYSTEM_ACTOR)).key;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    base = ['--manager', `https://localhost:${port}`, '--api-key', key, '--ca', join(t.dir, 'ca.crt')];
  });
  after(() => t?.close());

  async function run(...argv: string[]) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const code = await runCli([...base, ...argv], { stdout, stderr, stdin: new PassThrough(), env: {} });
    return { code, out, err };
  }

  it('lists and shows rules, assigns by policy name and computer id, unassigns, excludes, recommends', async () => {
    const policy = must(await t.services.policies.create({ name: 'Linux Server' }, SYSTEM_ACTOR));
    const computerId = await activateComputer(t.services, 'web-1', policy.id);
    must(await t.services.inventory.store(computerId, inventoryWith(['openssh-server', 'nginx'])));

    const listed = await run('rules', 'list', '--module', 'guard');
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /G-100\s+built-in\s+SSH brute force/);
    const listedJson = await run('--json', 'rules', 'list', '--module', 'guard');
    assert.deepEqual(
      JSON.parse(listedJson.out).map((r: { id: string }) => r.id),
      ['G-100', 'G-200', 'G-300'],
    );

    const ruleFile = join(t.dir, 'rule.json');
    await writeFile(ruleFile, JSON.stringify({ id: 'C-1', name: 'Custom', mode: 'bad' }));
    const refused = await run('rules', 'create', 'guard', ruleFile);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /\/mode/);
    await writeFile(ruleFile, JSON.stringify({ id: 'C-1', name: 'Custom', mode: 'detect' }));
    assert.equal((await run('rules', 'create', 'guard', ruleFile)).code, 0);
    assert.equal((await run('rules', 'create', 'guard', join(t.dir, 'missing.json'))).code, 2);
    assert.equal((await run('rules', 'delete', 'guard', 'C-1')).code, 0);
    assert.notEqual((await run('rules', 'delete', 'guard', 'G-100')).code, 0, 'built-ins are read-only');

    const assigned = await run('rules', 'assign', '--policy', 'Linux Server', 'guard', 'G-100', 'G-200');
    assert.equal(assigned.code, 0, assigned.err);
    assert.match(assigned.out, /Assigned G-100, G-200; 1 computer/);
    assert.equal((await run('rules', 'assign', '--computer', computerId, 'guard', 'G-200')).code, 0);

    const shown = await run('--json', 'rules', 'show', 'guard', 'G-200');
    assert.equal(shown.code, 0, shown.err);
    assert.deepEqual(
      JSON.parse(shown.out).assignedTo.map((s: { kind: string; name: string }) => `${s.kind}:${s.name}`),
      ['policy:Linux Server', 'computer:web-1'],
    );
    const effective = await run('rules', 'effective', '--computer', computerId, '--module', 'guard');
    assert.match(effective.out, /G-200\s+nginx request smuggling\s+policy Linux Server, computer web-1/);

    const overridden = await run('rules', 'override', '--computer', computerId, 'guard', 'G-100', '{"mode":"detect"}');
    assert.equal(overridden.code, 0, overridden.err);
    const withOverride = await run('--json', 'rules', 'effective', '--computer', computerId);
    assert.deepEqual(JSON.parse(withOverride.out).find((r: { id: string }) => r.id === 'G-100').overrides, {
      mode: 'detect',
    });
    assert.equal((await run('rules', 'override', '--computer', computerId, 'guard', 'G-100', '[1]')).code, 2);

    const unknown = await run('rules', 'assign', '--computer', computerId, 'guard', 'G-404');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.err, /G-404/);
    assert.equal((await run('rules', 'assign', 'guard', 'G-100')).code, 2, 'no target is a usage error');

    assert.equal((await run('rules', 'unassign', '--policy', policy.id, 'guard', 'G-200')).code, 0);
    assert.equal((await run('rules', 'unassign', '--computer', computerId, 'guard', 'G-200')).code, 0);
    const excluded = await run('rules', 'exclude', 'guard', 'G-200');
    assert.equal(excluded.code, 0, excluded.err);
    assert.match(excluded.out, /excluded from recommendations/);

    const scan = await run('--json', 'computers', 'recommend', computerId, '--apply');
    assert.equal(scan.code, 0, scan.err);
    const result = JSON.parse(scan.out);
    assert.deepEqual(result.recommended, { guard: ['G-100', 'G-200'] });
    assert.deepEqual(result.applied, {}, 'G-100 is already in force, G-200 is excluded');
    assert.deepEqual(result.excluded, { guard: ['G-200'] });

    assert.equal((await run('rules', 'exclude', 'guard', 'G-200', '--off')).code, 0);
    const again = await run('computers', 'recommend', computerId, '--apply');
    assert.match(again.out, /applied:\s+guard: G-200/);
    assert.match(again.out, /not applied:\s+\(none\)/);
  });
});
