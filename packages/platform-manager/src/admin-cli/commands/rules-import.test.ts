import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ManagerModule } from '@bulwark/protocol';
import { openTestConsole, type TestConsole } from '../../http/test-console.js';
import { SYSTEM_ACTOR } from '../../services/roles.js';
import { ruleTestModule } from '../../services/rules-test-module.js';
import { activateComputer, must, sampleModule } from '../../services/test-services.js';
import { testStores } from '../../storage/test-stores.js';
import { runCli } from '../run-cli.js';

// A module that loads a line format "ID NAME MODE" and refuses lines whose mode it does not know,
// as the IPS module loads Suricata .rules files.
const importing: ManagerModule = {
  ...ruleTestModule,
  importRules(text) {
    const rules: { id: string; name: string; mode: string }[] = [];
    const refused: { line: number; id?: string; reason: string }[] = [];
    let skippedLines = 0;
    text
      .replace(/\n$/, '')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '' || line.startsWith('#')) {
          skippedLines++;
          return;
        }
        const [id = '', name = '', mode = ''] = line.split(' ');
        if (mode === 'prevent' || mode === 'detect') rules.push({ id, name, mode });
        else refused.push({ line: i + 1, id, reason: `unsupported mode: ${mode}` });
      });
    return { rules, refused, skippedLines };
  },
};

const [sqlite] = await testStores();

describe('bulwark rules import', () => {
  let t: TestConsole;
  let base: string[];

  before(async () => {
    t = await openTestConsole(sqlite!, [sampleModule, importing]);
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

  it('adds what the module accepts, lists what it refuses, replaces on re-import and recompiles', async () => {
    const file = join(t.dir, 'guard.rules');
    await writeFile(file, '# a comment\nC-1 one prevent\nC-2 two sometimes\nG-100 clash prevent\nC-3 three detect\n');
    const first = await run('rules', 'import', 'guard', file);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /guard: 2 added, 0 replaced, 0 unchanged, 2 refused, 1 lines skipped/);
    assert.match(first.out, /refused 1: unsupported mode/);
    assert.match(first.out, /refused 1: duplicate id/);
    const listed = JSON.parse((await run('--json', 'rules', 'list', '--module', 'guard')).out) as { id: string }[];
    assert.deepEqual(
      listed.map((r) => r.id),
      ['C-1', 'C-3', 'G-100', 'G-200', 'G-300'],
    );

    const policy = must(await t.services.policies.create({ name: 'Web' }, SYSTEM_ACTOR));
    const computerId = await activateComputer(t.services, 'web-1', policy.id);
    assert.equal((await run('rules', 'assign', '--policy', 'Web', 'guard', 'C-1')).code, 0);
    const before = must(await t.services.configuration.compile(computerId));

    await writeFile(file, 'C-1 one detect\nC-3 three detect\n');
    const again = JSON.parse((await run('--json', 'rules', 'import', 'guard', file)).out) as Record<string, unknown>;
    assert.equal(again.added, 0);
    assert.equal(again.replaced, 1);
    assert.equal(again.unchanged, 1);
    assert.deepEqual(again.changedComputerIds, [computerId]);
    const afterwards = must(await t.services.configuration.compile(computerId));
    assert.notEqual(afterwards.version, before.version);
    const guard = afterwards.modules.guard;
    assert.ok(guard);
    assert.deepEqual((guard.configuration as { rules: unknown[] }).rules, [{ id: 'C-1', mode: 'detect' }]);
  });

  it('refuses a module that does not import files, and a file that cannot be read', async () => {
    const file = join(t.dir, 'x.rules');
    await writeFile(file, 'x\n');
    const refused = await run('rules', 'import', 'sample', file);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /does not (import rule files|take custom rules)/);
    assert.equal((await run('rules', 'import', 'guard', join(t.dir, 'missing.rules'))).code, 2);
  });
});
