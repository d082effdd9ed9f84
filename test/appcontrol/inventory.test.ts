/**
 * The inventory walk on a tmpfs mounted for this test: a tree of 100,000 files, and files that
 * change, appear and vanish while it runs.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { walkInventory } from '@bulwark/module-appcontrol/agent';
import { kernelSkipReason } from '../kernel/netns-lab.js';
import { mountTestTmpfs } from './harness.js';

const skip = kernelSkipReason('a tmpfs mounted for the inventory test', { tools: ['mount', 'umount', 'sh', 'cp'] });
if (skip) console.log(`# skipping application control inventory tests: ${skip}`);

const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('software inventory', { skip }, () => {
  let mount: ReturnType<typeof mountTestTmpfs>;
  const children: ChildProcess[] = [];

  before(() => {
    mount = mountTestTmpfs('inventory', '512m');
  });

  after(() => {
    for (const c of children) c.kill('SIGKILL');
    mount?.unmount();
  });

  test('a tree of 100,000 files: every executable found by hash and size, the rest left out', async () => {
    const root = join(mount.dir, 'tree');
    const elf = readFileSync('/bin/true');
    let expectedScripts = 0;
    let expectedElf = 0;
    for (let d = 0; d < 100; d++) {
      const dir = join(root, `d${d}`, 'sub');
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 1000; f++) {
        const path = join(dir, `f${f}`);
        if (f % 10 === 0) {
          writeFileSync(path, `#!/bin/sh\necho ${d}-${f}\n`, { mode: 0o755 });
          expectedScripts++;
        } else if (f === 1 && d % 4 === 0) {
          writeFileSync(path, elf, { mode: 0o755 });
          expectedElf++;
        } else writeFileSync(path, '');
      }
    }
    const started = process.hrtime.bigint();
    const walk = await walkInventory([root, join(mount.dir, 'absent')]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`# inventory of 100,000 files on tmpfs: ${ms.toFixed(0)} ms, ${walk.entries.size} executables`);
    assert.equal(walk.counts.files, 100_000);
    assert.equal(walk.entries.size, expectedScripts + expectedElf);
    assert.equal(walk.truncated, false);
    assert.deepEqual(walk.problems, []);
    const sample = walk.entries.get(join(root, 'd7', 'sub', 'f30'));
    assert.deepEqual(sample, {
      path: join(root, 'd7', 'sub', 'f30'),
      sha256: hash(Buffer.from('#!/bin/sh\necho 7-30\n')),
      size: 20,
      kind: 'script',
    });
    assert.equal(walk.entries.get(join(root, 'd8', 'sub', 'f1'))?.sha256, hash(elf));
    assert.equal(walk.entries.get(join(root, 'd8', 'sub', 'f1'))?.kind, 'elf');
    assert.equal(walk.entries.has(join(root, 'd8', 'sub', 'f2')), false);
  });

  test('files rewritten, created and deleted during the walk: never a torn hash, losses counted', async () => {
    const root = join(mount.dir, 'churn');
    mkdirSync(join(root, 'busy'), { recursive: true });
    // Two versions of different sizes, several hashing chunks each.
    const a = Buffer.concat([Buffer.from('#!/bin/sh\n# version a\n'), Buffer.alloc(3 * 1024 * 1024, 0x61)]);
    const b = Buffer.concat([Buffer.from('#!/bin/sh\n# version b\n'), Buffer.alloc(3 * 1024 * 1024 + 4097, 0x62)]);
    writeFileSync(join(mount.dir, 'a'), a);
    writeFileSync(join(mount.dir, 'b'), b);
    for (let i = 0; i < 8; i++) writeFileSync(join(root, 'busy', `f${i}`), a, { mode: 0o755 });
    for (let i = 0; i < 2000; i++) writeFileSync(join(root, `still${i}`), `#!/bin/sh\n# ${i}\n`, { mode: 0o755 });
    // A writer that keeps rewriting the busy files, and one that creates and deletes files.
    const rewrite = `while :; do for i in 0 1 2 3 4 5 6 7; do cp ${mount.dir}/a ${root}/busy/f$i; cp ${mount.dir}/b ${root}/busy/f$i; done; done`;
    const churn = `while :; do for i in $(seq 0 200); do echo '#!/bin/sh' > ${root}/tmp$i; done; rm -f ${root}/tmp*; done`;
    for (const script of [rewrite, churn]) children.push(spawn('/bin/sh', ['-c', script], { stdio: 'ignore' }));
    // Walk until one walk met a change mid-read (or ran into a vanished file); each walk must be sound.
    let walks = 0;
    let sawChange = false;
    // What the walk may record is the content the file had at one instant: version a or b, or,
    // when `cp` was paused between two writes for the whole read (on one CPU it often is), the
    // part of a or b written so far. A torn read (a mix of two states) matches none of these.
    const atOneInstant = (size: number, sha256: string) =>
      [a, b].some((version) => size <= version.length && hash(version.subarray(0, size)) === sha256);
    while (walks < 50 && !sawChange) {
      const walk = await walkInventory([root]);
      walks++;
      for (let i = 0; i < 2000; i++)
        assert.ok(walk.entries.has(join(root, `still${i}`)), `still${i} is found every time`);
      for (let i = 0; i < 8; i++) {
        const e = walk.entries.get(join(root, 'busy', `f${i}`));
        if (e === undefined) continue;
        assert.ok(
          atOneInstant(e.size, e.sha256),
          `f${i}: the hash of content that existed, not of a mix (${e.size} bytes)`,
        );
      }
      for (const [path, e] of walk.entries)
        if (/\/tmp\d+$/.test(path)) assert.equal(e.sha256, hash(Buffer.from('#!/bin/sh\n')), path);
      sawChange = walk.counts.unstable > 0 || walk.counts.vanished > 0;
    }
    console.log(`# ${walks} walk(s) until one met a file changing or vanishing mid-read`);
    assert.ok(sawChange, 'the writers changed files during a walk');
  });
});
