import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspectPath } from '../../modules/integrity/agent/file-inspector.js';
import { cleanup, eventually, fileRule, harness, temporaryDirectory } from './harness.js';

const isRoot = process.getuid?.() === 0;
const repoRoot = new URL('../..', import.meta.url).pathname;

type Exported = { rules: { entries: number }[]; entries: { key: string; attributes: Record<string, unknown> }[] };

test('special files are recorded from lstat and never opened', { timeout: 60_000 }, async (t) => {
  const root = temporaryDirectory('special');
  writeFileSync(join(root, 'plain'), 'x');
  assert.equal(spawnSync('mkfifo', [join(root, 'fifo')]).status, 0);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(root, 'socket'), resolve));
  if (isRoot) assert.equal(spawnSync('mknod', [join(root, 'null-device'), 'c', '1', '3']).status, 0);
  else t.diagnostic('not root: the character device case is left out (mknod needs root)');
  const h = harness();
  try {
    // A blocking open of the fifo would hang here forever; the test timeout would catch it.
    await h.apply([fileRule('special', root)], { realTime: false });
    const out = (await h.module.run('export-baseline', { ruleId: 'special' })) as Exported;
    const types = Object.fromEntries(out.entries.map((e) => [e.key.slice(root.length + 1), e.attributes]));
    assert.equal(types.fifo?.type, 'fifo');
    assert.equal(types.socket?.type, 'socket');
    assert.equal(types.fifo?.sha256, undefined);
    assert.equal(types.socket?.sha256, undefined);
    assert.equal(typeof types.plain?.sha256, 'string');
    if (isRoot) {
      assert.equal(types['null-device']?.type, 'character-device');
      assert.equal(types['null-device']?.sha256, undefined);
    }
  } finally {
    server.close();
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('symlink loops are detected and counted when links are followed', { timeout: 60_000 }, async () => {
  const root = temporaryDirectory('loop');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  writeFileSync(join(root, 'a', 'b', 'file'), 'x');
  symlinkSync('../..', join(root, 'a', 'b', 'up'));
  symlinkSync('self', join(root, 'self'));
  const h = harness();
  try {
    await h.apply([fileRule('loop', root, { followSymlinks: true })], { realTime: false });
    const counters = h.module.status().counters ?? {};
    assert.ok((counters['skipped.symlink-loop'] ?? 0) >= 1, JSON.stringify(counters));
    const out = (await h.module.run('export-baseline', { ruleId: 'loop' })) as Exported;
    const up = out.entries.find((e) => e.key.endsWith('/up'));
    assert.equal(up?.attributes.target, '../..');
    assert.ok(out.entries.some((e) => e.key.endsWith('/self')));
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('a directory with 100,000 entries is baselined completely', { timeout: 300_000 }, async () => {
  const root = temporaryDirectory('wide');
  for (let i = 0; i < 100_000; i++) writeFileSync(join(root, `f${i}`), '');
  const h = harness();
  try {
    await h.apply([fileRule('wide', root)], { realTime: false });
    const out = (await h.module.run('export-baseline', { ruleId: 'wide', limit: 1 })) as Exported;
    assert.equal(out.rules[0]!.entries, 100_001);
    writeFileSync(join(root, 'f99999'), 'changed');
    const scan = (await h.module.run('scan', {})) as { rules: { changes: number; reused: number }[] };
    assert.equal(scan.rules[0]!.changes, 1);
    assert.ok(scan.rules[0]!.reused >= 99_000, 'unchanged files are not read again');
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('paths longer than PATH_MAX are skipped with a counted reason', { timeout: 60_000 }, async () => {
  const root = temporaryDirectory('deep');
  const here = process.cwd();
  try {
    process.chdir(root);
    for (let i = 0; i < 24; i++) {
      mkdirSync('d'.repeat(200));
      process.chdir('d'.repeat(200));
    }
    writeFileSync('deepest', 'x');
  } finally {
    process.chdir(here);
  }
  const h = harness();
  try {
    await h.apply([fileRule('deep', root)], { realTime: false });
    assert.equal(h.module.status().state, 'on');
    assert.ok(
      (h.module.status().counters?.['skipped.path-too-long'] ?? 0) >= 1,
      JSON.stringify(h.module.status().counters),
    );
    const out = (await h.module.run('export-baseline', { ruleId: 'deep' })) as Exported;
    assert.ok(out.rules[0]!.entries >= 19, 'everything within PATH_MAX is recorded');
  } finally {
    await h.module.stop();
    spawnSync('rm', ['-rf', root]);
    cleanup(h.dataDir);
  }
});

test('non-UTF-8 file names are stored and reported byte for byte', { timeout: 60_000 }, async () => {
  const root = temporaryDirectory('bytes');
  const name = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x63]);
  const path = Buffer.concat([Buffer.from(`${root}/`), name]);
  writeFileSync(path, 'one');
  const h = harness();
  try {
    await h.apply([fileRule('bytes', root)], { realTime: false });
    writeFileSync(path, 'two');
    await h.module.run('scan', {});
    const [event] = h.changes();
    assert.equal(event?.type, 'updated');
    const entity = event!.details!.entity as { path: string; pathBase64: string };
    assert.ok(Buffer.from(entity.pathBase64, 'base64').equals(path));
    assert.equal(entity.path, `${root}/f\\xff\\xfe.c`);
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('a file that vanishes or keeps changing while hashed is skipped with a reason, not reported deleted', {
  timeout: 120_000,
}, async () => {
  const root = temporaryDirectory('moving');
  const missing = inspectPath(`${root}/not-there`, ['sha256']);
  assert.deepEqual([missing.ok, !missing.ok && missing.reason], [false, 'vanished']);

  const big = join(root, 'growing');
  writeFileSync(big, Buffer.alloc(64 * 1024 * 1024, 1));
  const h = harness();
  let writer: ChildProcess | undefined;
  try {
    await h.apply([fileRule('moving', root)], { realTime: false });
    writer = spawn('sh', ['-c', `while :; do printf x >> '${big}'; done`], { stdio: 'ignore' });
    const size = 64 * 1024 * 1024;
    await eventually('the writer appending', () => statSync(big).size > size);
    const busy = inspectPath(big, ['sha256']);
    assert.deepEqual([busy.ok, !busy.ok && busy.reason], [false, 'changed-while-hashing']);
    await h.module.run('scan', {});
    assert.ok((h.module.status().counters?.['skipped.changed-while-hashing'] ?? 0) >= 1);
    assert.ok(!h.changes().some((e) => e.type === 'deleted'), 'a busy file is not reported deleted');
  } finally {
    writer?.kill('SIGKILL');
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('unreadable files and directories are skipped with a counted reason', { timeout: 120_000 }, async (t) => {
  if (!isRoot) {
    t.skip('needs root: the test drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from a root child with setpriv');
    return;
  }
  if (spawnSync('setpriv', ['--version']).status !== 0) {
    t.skip('setpriv (util-linux) is not installed');
    return;
  }
  const root = temporaryDirectory('unreadable');
  const dataDir = temporaryDirectory('unreadable-data');
  chmodSync(root, 0o755);
  writeFileSync(join(root, 'readable'), 'x');
  writeFileSync(join(root, 'secret'), 'x');
  chmodSync(join(root, 'secret'), 0o000);
  mkdirSync(join(root, 'closed'));
  writeFileSync(join(root, 'closed', 'inside'), 'x');
  chmodSync(join(root, 'closed'), 0o000);
  try {
    const child = spawnSync(
      'setpriv',
      // Root without these two capabilities is bound by file modes like any user, while the
      // repository (owned by root) stays readable wherever CI checks it out.
      [
        '--bounding-set=-dac_override,-dac_read_search',
        '--',
        process.execPath,
        '--import',
        'tsx',
        'test/integrity/unreadable-child.ts',
        root,
        dataDir,
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 100_000, env: { ...process.env, HOME: dataDir } },
    );
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout) as { status: { state: string; counters: Record<string, number> } };
    assert.equal(out.status.state, 'on');
    assert.ok((out.status.counters['skipped.unreadable'] ?? 0) >= 2, JSON.stringify(out.status.counters));
  } finally {
    cleanup(root, dataDir);
  }
});
