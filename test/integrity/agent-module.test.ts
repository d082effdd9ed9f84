import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanup, fileRule, harness, temporaryDirectory } from './harness.js';

const changesOf = (e: { details?: Record<string, unknown> }) =>
  e.details?.changes as { attribute: string; before: unknown; after: unknown }[];
const pathOf = (e: { details?: Record<string, unknown> }) => (e.details!.entity as { path: string }).path;

test('baseline on first apply, then created / updated / deleted / renamed with before and after', async () => {
  const root = temporaryDirectory('tree');
  writeFileSync(join(root, 'keep'), 'one');
  writeFileSync(join(root, 'gone'), 'two');
  writeFileSync(join(root, 'old-name'), 'three');
  const h = harness();
  try {
    await h.apply([fileRule('tree', root)], { realTime: false });
    assert.equal(h.module.status().state, 'on');
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['baseline-built'],
    );

    writeFileSync(join(root, 'keep'), 'one, changed');
    chmodSync(join(root, 'keep'), 0o600);
    unlinkSync(join(root, 'gone'));
    renameSync(join(root, 'old-name'), join(root, 'new-name'));
    writeFileSync(join(root, 'fresh'), 'four');
    const result = (await h.module.run('scan', {})) as { rules: { changes: number }[] };
    assert.equal(result.rules[0]!.changes, 4);

    const byType = Object.fromEntries(h.changes().map((e) => [e.type, e]));
    assert.equal(pathOf(byType.updated!), join(root, 'keep'));
    const attrs = changesOf(byType.updated!).map((c) => c.attribute);
    for (const a of ['sha256', 'size', 'mode']) assert.ok(attrs.includes(a), a);
    const mode = changesOf(byType.updated!).find((c) => c.attribute === 'mode')!;
    assert.deepEqual([mode.before, mode.after], [0o644, 0o600]);
    assert.equal(byType.updated!.severity, 'high');
    assert.equal(byType.updated!.ruleId, 'tree');
    assert.equal(pathOf(byType.deleted!), join(root, 'gone'));
    assert.equal(pathOf(byType.created!), join(root, 'fresh'));
    assert.equal(pathOf(byType.renamed!), join(root, 'new-name'));
    assert.equal((byType.renamed!.details!.from as { path: string }).path, join(root, 'old-name'));

    // The changes became the baseline: a second scan is quiet.
    const before = h.events.length;
    await h.module.run('scan', {});
    assert.equal(h.events.length, before);
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('a change made while the agent was stopped is reported at the next start', async () => {
  const root = temporaryDirectory('offline');
  writeFileSync(join(root, 'config'), 'safe');
  const dataDir = temporaryDirectory('data');
  const first = harness(dataDir);
  await first.apply([fileRule('offline', root)], { realTime: false });
  await first.module.stop();
  writeFileSync(join(root, 'config'), 'tampered');

  const second = harness(dataDir);
  try {
    await second.apply([fileRule('offline', root)], { realTime: false });
    const updated = second.changes();
    assert.equal(updated.length, 1);
    assert.equal(updated[0]!.type, 'updated');
    assert.equal(updated[0]!.details?.source, 'start-scan');
    assert.ok(!second.events.some((e) => e.type === 'baseline-built'), 'the stored baseline was reused');
  } finally {
    await second.module.stop();
    cleanup(root, dataDir);
  }
});

test('a changed rule rebuilds its baseline without change events; apply twice changes nothing', async () => {
  const root = temporaryDirectory('rules');
  writeFileSync(join(root, 'a.conf'), 'x');
  writeFileSync(join(root, 'b.log'), 'x');
  const h = harness();
  try {
    await h.apply([fileRule('r', root)], { realTime: false });
    await h.apply([fileRule('r', root)], { realTime: false });
    assert.equal(h.events.length, 1);
    await h.apply([fileRule('r', root)], { realTime: false, exclusions: ['*.log'] });
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['baseline-built', 'baseline-built'],
    );
    appendFileSync(join(root, 'b.log'), 'more');
    await h.module.run('scan', {});
    assert.equal(h.changes().length, 0, 'the policy exclusion hides the log file');
    const exported = (await h.module.run('export-baseline', { ruleId: 'r' })) as { entries: { key: string }[] };
    assert.deepEqual(exported.entries.map((e) => e.key).sort(), [root, join(root, 'a.conf')].sort());
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('real time: a write is reported without a scan; a file written in a loop gives few events', async () => {
  const root = temporaryDirectory('live');
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'watched'), 'v0');
  const h = harness();
  try {
    await h.apply([fileRule('live', root)], { realTime: true, debounceMilliseconds: 50 });
    writeFileSync(join(root, 'sub', 'watched'), 'v1');
    const e = await h.waitFor((x) => x.type === 'updated');
    assert.equal(e.details?.source, 'real-time');
    assert.equal(pathOf(e), join(root, 'sub', 'watched'));

    // A new directory with a file already in it, then a loop of writes to that file.
    mkdirSync(join(root, 'sub', 'new'));
    writeFileSync(join(root, 'sub', 'new', 'inner'), 'x');
    await h.waitFor((x) => x.type === 'created' && pathOf(x) === join(root, 'sub', 'new', 'inner'));
    const start = h.changes().length;
    for (let i = 0; i < 3000; i++) appendFileSync(join(root, 'sub', 'new', 'inner'), 'y');
    await h.waitFor((x) => x.type === 'updated' && pathOf(x) === join(root, 'sub', 'new', 'inner'));
    // A later write elsewhere is checked after the loop's last one (same quiet time, checks in
    // order): once its event is in, every event the loop will ever give is in too.
    writeFileSync(join(root, 'sub', 'watched'), 'v2');
    await h.waitFor((x) => x.type === 'updated' && pathOf(x) === join(root, 'sub', 'watched') && x !== e);
    const loopEvents = h.changes().length - start - 1;
    assert.ok(loopEvents >= 1 && loopEvents <= 10, `3000 writes gave ${loopEvents} events`);
    // After the storm the baseline matches the disk: a scan finds nothing more.
    const scan = (await h.module.run('scan', {})) as { rules: { changes: number }[] };
    assert.equal(scan.rules[0]!.changes, 0);
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('real time after a restart without a scan, and after a settings-only change, still covers subdirectories', async () => {
  const root = temporaryDirectory('restart');
  mkdirSync(join(root, 'deep', 'er'), { recursive: true });
  writeFileSync(join(root, 'deep', 'er', 'file'), 'v0');
  const dataDir = temporaryDirectory('data');
  const first = harness(dataDir);
  await first.apply([fileRule('restart', root)], { realTime: true });
  await first.module.stop();

  const second = harness(dataDir);
  try {
    // No scan at start: the watches come from the directories the stored baseline's walk listed.
    await second.apply([fileRule('restart', root)], { realTime: true, scanOnStart: false, debounceMilliseconds: 20 });
    assert.ok((second.module.status().counters?.watchedDirectories ?? 0) >= 3);
    writeFileSync(join(root, 'deep', 'er', 'file'), 'v1');
    await second.waitFor((x) => x.type === 'updated' && pathOf(x) === join(root, 'deep', 'er', 'file'), 5000);
    // A new setting, same rules: no walk, and the monitor is rebuilt from the store again.
    await second.apply([fileRule('restart', root)], { realTime: true, scanOnStart: false, debounceMilliseconds: 30 });
    writeFileSync(join(root, 'deep', 'er', 'file'), 'v2');
    await second.waitFor(
      (x) => x.type === 'updated' && pathOf(x) === join(root, 'deep', 'er', 'file') && second.changes().length === 2,
      5000,
    );
  } finally {
    await second.module.stop();
    cleanup(root, dataDir);
  }
});

test('a malformed configuration is refused with the field named and nothing is stored', async () => {
  const h = harness();
  try {
    await h.module.apply(
      {
        enabled: true,
        configuration: {
          settings: { enabled: true },
          rules: [{ id: 'x', entity: { kind: 'files', base: 7 } }],
          rejectedRules: [],
        },
      },
      {} as never,
    );
    const status = h.module.status();
    assert.equal(status.state, 'error');
    assert.match(status.reason ?? '', /\/settings|\/rules\/0/);
    assert.equal(h.events.length, 0);
    await assert.rejects(h.module.run('scan', {}), /not enabled/);
    await h.apply([], { schedule: 'every 5s' });
    assert.match(h.module.status().reason ?? '', /schedule/);
  } finally {
    await h.module.stop();
    cleanup(h.dataDir);
  }
});

test('unknown commands and unknown rules are rejected with a clear message', async () => {
  const root = temporaryDirectory('cmd');
  const h = harness();
  try {
    await h.apply([fileRule('c', root)], { realTime: false });
    await assert.rejects(h.module.run('defragment', {}), /unknown integrity command "defragment"/);
    await assert.rejects(h.module.run('scan', { ruleId: 'nope' }), /ruleId: no integrity rule "nope"/);
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});
