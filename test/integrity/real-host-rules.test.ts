import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { IntegritySettings } from '@bulwark/module-integrity/engine';
import { compileIntegrity, managerModule as integrityModule } from '@bulwark/module-integrity/manager';
import { Value } from '@sinclair/typebox/value';
import { cleanup, fileRule, harness, temporaryDirectory } from './harness.js';

test('built-in rules baseline this host (read only, no real-time)', { timeout: 120_000 }, async () => {
  const wanted = [
    'linux-account-database',
    'linux-dynamic-linker',
    'linux-name-resolution',
    'linux-local-users',
    'linux-local-groups',
    'linux-listening-ports',
    'linux-packages-dpkg',
    'linux-loaded-kernel-modules',
  ];
  const assigned = (integrityModule.builtInRules ?? [])
    .filter((r) => wanted.includes(r.id))
    .map((r) => ({ id: r.id, definition: r, overrides: {} }));
  const settings = { ...Value.Create(IntegritySettings), enabled: true, realTime: false };
  const configuration = compileIntegrity(settings, assigned);
  assert.deepEqual(configuration.rejectedRules, []);
  const h = harness();
  try {
    await h.module.apply({ enabled: true, configuration }, {} as never);
    assert.equal(h.module.status().state, 'on', h.module.status().reason);
    const built = h.events.find((e) => e.type === 'baseline-built');
    const rules = built?.details?.rules as { ruleId: string; entries: number; unavailable?: string }[];
    const entries = Object.fromEntries(rules.map((r) => [r.ruleId, r.entries]));
    assert.ok((entries['linux-account-database'] ?? 0) >= 2, JSON.stringify(entries));
    assert.ok((entries['linux-local-users'] ?? 0) >= 1, JSON.stringify(entries));
    const exported = (await h.module.run('export-baseline', { ruleId: 'linux-account-database' })) as {
      entries: { key: string }[];
    };
    assert.ok(exported.entries.some((e) => e.key === '/etc/passwd'));
    assert.ok(!exported.entries.some((e) => e.key === '/etc'), 'only the included files are recorded');
    // Nothing changed between the baseline and an immediate scan of the account files.
    const scan = (await h.module.run('scan', { ruleId: 'linux-account-database' })) as { rules: { changes: number }[] };
    assert.equal(scan.rules[0]!.changes, 0);
  } finally {
    await h.module.stop();
    cleanup(h.dataDir);
  }
});

test('real time: a file that did not exist at baseline (like ld.so.preload) is reported when created', {
  timeout: 60_000,
}, async () => {
  const root = temporaryDirectory('preload');
  const h = harness();
  try {
    await h.apply([fileRule('preload', join(root, 'ld.so.preload'))], { realTime: true });
    writeFileSync(join(root, 'ld.so.preload'), '/tmp/evil.so\n');
    const e = await h.waitFor((x) => x.type === 'created');
    assert.equal((e.details!.entity as { path: string }).path, join(root, 'ld.so.preload'));
    assert.equal(e.details?.source, 'real-time');
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('real time: removing a directory reports everything that was under it', { timeout: 60_000 }, async () => {
  const root = temporaryDirectory('subtree');
  mkdirSync(join(root, 'conf.d', 'nested'), { recursive: true });
  writeFileSync(join(root, 'conf.d', 'a'), 'a');
  writeFileSync(join(root, 'conf.d', 'nested', 'b'), 'b');
  const h = harness();
  try {
    await h.apply([fileRule('subtree', root)], { realTime: true });
    rmSync(join(root, 'conf.d'), { recursive: true });
    const expected = [
      join(root, 'conf.d'),
      join(root, 'conf.d', 'a'),
      join(root, 'conf.d', 'nested'),
      join(root, 'conf.d', 'nested', 'b'),
    ];
    for (const path of expected)
      await h.waitFor((x) => x.type === 'deleted' && (x.details!.entity as { path: string }).path === path);
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('real time: removing the rule base directory itself is reported', { timeout: 60_000 }, async () => {
  const root = temporaryDirectory('base');
  const base = join(root, 'watched');
  mkdirSync(base);
  writeFileSync(join(base, 'inside'), 'x');
  const h = harness();
  try {
    await h.apply([fileRule('base', base)], { realTime: true });
    rmSync(base, { recursive: true });
    for (const path of [base, join(base, 'inside')])
      await h.waitFor((x) => x.type === 'deleted' && (x.details!.entity as { path: string }).path === path);
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});
