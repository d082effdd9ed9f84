/**
 * `npm run new-module` on a scratch copy of the parts it touches: the module it makes from the
 * template type-checks and passes its own tests, and the registries and platform packages
 * list it. (The template itself is type-checked and tested with the rest of the repository.)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run new-module', () => {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-new-module-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  for (const path of [
    'modules/_template',
    'packages/platform-manager/src/modules/registry.ts',
    'packages/platform-agent/src/modules/registry.ts',
    'packages/platform-manager/package.json',
    'packages/platform-agent/package.json',
    'tsconfig.json',
  ]) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    cpSync(join(repo, path), join(root, path), { recursive: true });
  }
  // Dependencies resolve through the repository's own (the protocol package is linked there).
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(repo, 'scripts/new-module.mjs'), ...args, '--root', root], { encoding: 'utf8' });

  it('makes modules/<id> from the template and registers it once on each side', () => {
    const made = run('shield');
    assert.equal(made.status, 0, made.stderr);
    const manager = readFileSync(join(root, 'modules/shield/manager/shield-definition.ts'), 'utf8');
    assert.match(manager, /id: 'shield'/);
    assert.doesNotMatch(manager, /template/i);
    assert.match(readFileSync(join(root, 'modules/shield/package.json'), 'utf8'), /"@bulwark\/module-shield"/);
    assert.match(readFileSync(join(root, 'modules/shield/README.md'), 'utf8'), /^# Shield module/);
    const managerRegistry = readFileSync(join(root, 'packages/platform-manager/src/modules/registry.ts'), 'utf8');
    assert.match(managerRegistry, /import \{ managerModule as shield \} from '@bulwark\/module-shield\/manager';/);
    // The new entry is last, whether the list is written on one line or one entry a line.
    assert.match(managerRegistry, /(, shield\]|\n {2}shield,\n\]);/);
    // The agent imports a module only when it needs it: its entry is last, and it is no static import.
    const agentRegistry = readFileSync(join(root, 'packages/platform-agent/src/modules/registry.ts'), 'utf8');
    assert.match(
      agentRegistry,
      /\n {2}\{ id: 'shield', load: async \(\) => \(await import\('@bulwark\/module-shield\/agent'\)\)\.agentModule \},\n\];/,
    );
    assert.doesNotMatch(agentRegistry, /^import [^\n]*module-shield/m);
    // The imports stay in the linter's order (by source), so a new module does not fail `npm run lint`.
    const sources = [...managerRegistry.matchAll(/^import [^\n]* from '([^']+)';$/gm)].map((m) => m[1]);
    assert.deepEqual(sources, [...sources].sort());
    const agentPackage = JSON.parse(readFileSync(join(root, 'packages/platform-agent/package.json'), 'utf8'));
    assert.equal(agentPackage.dependencies['@bulwark/module-shield'], '0.1.0');
  });

  it('the module it made type-checks and passes its own tests', () => {
    writeFileSync(
      join(root, 'tsconfig.module.json'),
      JSON.stringify({ extends: './tsconfig.json', include: ['modules/shield/**/*.ts'] }),
    );
    execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.module.json'], {
      cwd: root,
      stdio: 'pipe',
    });
    const tests = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        'modules/shield/engine/shield-rule.test.ts',
        'modules/shield/manager/shield-definition.test.ts',
        'modules/shield/agent/shield-agent-module.test.ts',
      ],
      // A fresh test run, not a child of this one (which would report in the runner's own format).
      { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
    );
    assert.equal(tests.status, 0, tests.stdout + tests.stderr);
    assert.match(tests.stdout, /# pass 9/);
  });

  it('refuses a bad id, a reserved one and one that exists, changing nothing', () => {
    const before = readFileSync(join(root, 'packages/platform-manager/src/modules/registry.ts'), 'utf8');
    for (const [id, why] of [
      ['Bad-Id', /not a module id/],
      ['template', /reserved/],
      ['shield', /exists already/],
    ] as const) {
      const refused = run(id);
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, why);
    }
    assert.equal(readFileSync(join(root, 'packages/platform-manager/src/modules/registry.ts'), 'utf8'), before);
  });
});
