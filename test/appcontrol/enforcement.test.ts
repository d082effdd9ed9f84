/**
 * Application control against the real kernel: fanotify marks on a tmpfs mounted for this test
 * only. Programs are run by a shell in a child process, as a user would run them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AgentSettings } from '@bulwark/module-appcontrol/engine';
import { kernelSkipReason } from '../kernel/netns-lab.js';
import { type Harness, harness, mountTestTmpfs, run, waitUntil } from './harness.js';

const skip = kernelSkipReason('application control on a test tmpfs', { tools: ['mount', 'umount', 'sh'] });
if (skip) console.log(`# skipping application control system tests: ${skip}`);

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const denied = /Operation not permitted|Permission denied/;

describe('application control enforcement', { skip }, () => {
  let mount: ReturnType<typeof mountTestTmpfs>;
  let dir: string;
  let h: Harness;
  let base: AgentSettings;

  before(async () => {
    mount = mountTestTmpfs('enforce');
    dir = mount.dir;
    mkdirSync(join(dir, 'bin'));
    copyFileSync('/bin/true', join(dir, 'bin', 'known'));
    chmodSync(join(dir, 'bin', 'known'), 0o755);
    writeFileSync(join(dir, 'bin', 'known.sh'), '#!/bin/sh\necho known-script\n', { mode: 0o755 });
    base = {
      mode: 'block-unrecognized',
      maintenanceUntilMs: null,
      trustPackageManagers: false,
      roots: [join(dir, 'bin')],
      enforcedMounts: [dir],
      checkInterpreters: true,
    };
    h = harness(base);
    await h.apply({});
    assert.equal(h.module.status().state, 'on', h.module.status().reason);
    await h.waitFor((e) => e.type === 'inventory-built');
  });

  after(async () => {
    await h?.close();
    mount?.unmount();
  });

  test('software in the inventory runs; an unrecognized binary copied in is blocked with EPERM and reported', async () => {
    assert.equal((await run(join(dir, 'bin', 'known'))).code, 0);
    assert.equal((await run(join(dir, 'bin', 'known.sh'))).stdout, 'known-script\n');
    copyFileSync('/bin/echo', join(dir, 'stranger'));
    chmodSync(join(dir, 'stranger'), 0o755);
    const blocked = await run(`${join(dir, 'stranger')} hello`);
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr, denied);
    assert.equal(blocked.stdout, '');
    const event = await h.waitFor((e) => e.type === 'execution-blocked' && e.details?.path === join(dir, 'stranger'));
    assert.equal(event.details?.sha256, sha256(join(dir, 'stranger')));
    assert.equal(event.details?.reason, 'unrecognized');
    assert.equal(event.ruleId, `appcontrol.sha256.${sha256(join(dir, 'stranger'))}`);
    assert.equal(event.details?.user, 'root');
    assert.match(String(event.details?.process), /sh$/, 'the process that tried to run it');
    assert.equal(typeof event.details?.parentPid, 'number');
  });

  test('an allow rule by hash lets it run; a block rule by hash stops software in the inventory', async () => {
    const allow = { id: 'allow-stranger', name: 'stranger', action: 'allow', hashes: [sha256(join(dir, 'stranger'))] };
    await h.apply({}, [allow]);
    assert.equal((await run(`${join(dir, 'stranger')} hello`)).stdout, 'hello\n');
    const block = { id: 'block-known', name: 'known', action: 'block', hashes: [sha256(join(dir, 'bin', 'known'))] };
    await h.apply({}, [allow, block]);
    assert.match((await run(join(dir, 'bin', 'known'))).stderr, denied);
    await h.apply({});
    assert.match((await run(`${join(dir, 'stranger')} hello`)).stderr, denied, 'the rule is gone');
  });

  test('maintenance mode lets new software run and adds it to the inventory, which keeps it after', async () => {
    copyFileSync('/bin/ls', join(dir, 'deployed'));
    chmodSync(join(dir, 'deployed'), 0o755);
    assert.match((await run(`${join(dir, 'deployed')} /`)).stderr, denied);
    await h.apply({ maintenanceUntilMs: Date.now() + 60_000 });
    assert.equal((await run(`${join(dir, 'deployed')} /`)).code, 0);
    await h.waitFor((e) => e.type === 'software-changed' && e.details?.path === join(dir, 'deployed'));
    await h.apply({ maintenanceUntilMs: Date.now() - 1 });
    assert.equal((await run(`${join(dir, 'deployed')} /`)).code, 0, 'in the inventory now');
    assert.match((await run(`${join(dir, 'stranger')} x`)).stderr, denied, 'maintenance over');
  });

  test('an executable written during maintenance joins the inventory without being run', async () => {
    await h.apply({ maintenanceUntilMs: Date.now() + 60_000 });
    // Written by another process (this one's own writes are not reported to it), mode set at creation.
    writeFileSync(join(h.dataDir, 'installed.sh'), '#!/bin/sh\necho installed\n', { mode: 0o755 });
    assert.equal((await run(`cp ${join(h.dataDir, 'installed.sh')} ${join(dir, 'installed.sh')}`)).code, 0);
    await h.waitFor((e) => e.type === 'software-changed' && e.details?.path === join(dir, 'installed.sh'));
    await h.apply({ maintenanceUntilMs: null });
    assert.equal((await run(join(dir, 'installed.sh'))).stdout, 'installed\n');
  });

  test('a script run through its interpreter is checked: sh x.sh, the loader ./program', async () => {
    writeFileSync(join(dir, 'x.sh'), 'echo through-interpreter\n', { mode: 0o644 });
    const viaSh = await run(`sh ${join(dir, 'x.sh')}`);
    assert.notEqual(viaSh.code, 0);
    assert.doesNotMatch(viaSh.stdout, /through-interpreter/);
    const event = await h.waitFor((e) => e.type === 'execution-blocked' && e.details?.path === join(dir, 'x.sh'));
    assert.equal(event.details?.via, 'interpreter');
    const viaLoader = await run(`cd ${dir} && /lib64/ld-linux-x86-64.so.2 ./stranger hi`);
    assert.notEqual(viaLoader.code, 0);
    assert.doesNotMatch(viaLoader.stdout, /hi/);
    await h.apply({}, [{ id: 'allow-scripts', name: 's', action: 'allow', paths: [`${dir}/*.sh`] }]);
    assert.equal((await run(`sh ${join(dir, 'x.sh')}`)).stdout, 'through-interpreter\n');
    assert.equal((await run(`cat ${join(dir, 'x.sh')}`)).code, 0, 'reading a script is not running it');
  });

  /** Rewrites the middle of a file in place (same size) from another process. */
  const tamper = async (path: string) => {
    const size = readFileSync(path).length;
    const dd = await run(`printf tampered | dd of=${path} bs=1 seek=${Math.floor(size / 2)} conv=notrunc 2>/dev/null`);
    assert.equal(dd.code, 0);
    assert.equal(readFileSync(path).length, size, 'same size');
  };
  /** A copy of software in the inventory (the inventory is by hash) at a new path. */
  const copyOfKnown = (name: string, mode: number) => {
    const path = join(dir, 'bin', name);
    copyFileSync('/bin/true', path);
    chmodSync(path, mode);
    return path;
  };

  test('a binary replaced after being remembered in the kernel package is judged again: in place, same size, and renamed over', async () => {
    await h.apply({});
    // Group-writable: not left to the kernel's ignore marks, so answered from the remembered verdicts.
    const target = copyOfKnown('shared-tool', 0o775);
    const hits = () => h.counter('kernelCacheHits');
    // Run it until an exec is answered from the cache (the file must have settled first).
    const before = hits();
    await waitUntil(async () => (await run(target)).code === 0 && hits() > before, 'a cached verdict', 15_000);
    await tamper(target);
    assert.match((await run(target)).stderr, denied, 'rewritten in place');
    assert.ok(h.counter('kernelCacheStale') >= 1, 'the remembered verdict was found void');

    const fresh = copyOfKnown('fresh', 0o775);
    const hitsBefore = hits();
    await waitUntil(async () => (await run(fresh)).code === 0 && hits() > hitsBefore, 'cached', 15_000);
    copyFileSync('/bin/echo', join(dir, 'swap'));
    chmodSync(join(dir, 'swap'), 0o755);
    renameSync(join(dir, 'swap'), fresh);
    assert.match((await run(fresh)).stderr, denied, 'renamed over');
  });

  test('software only root can change is allowed by the kernel itself until written; a rewrite is caught', async () => {
    await h.apply({});
    const target = copyOfKnown('root-tool', 0o755);
    const marks = h.counter('kernelIgnoreMarks');
    assert.equal((await run(target)).code, 0);
    assert.ok(h.counter('kernelIgnoreMarks') > marks, 'an ignore mark was placed');
    const checks = h.counter('checks');
    const hits = h.counter('kernelCacheHits');
    assert.equal((await run(target)).code, 0);
    assert.equal(h.counter('checks'), checks, 'no event: nobody was asked');
    assert.equal(h.counter('kernelCacheHits'), hits);
    await tamper(target);
    assert.match((await run(target)).stderr, denied, 'written: the kernel asked again, and it is unrecognized');
    const swapped = copyOfKnown('root-tool-2', 0o755);
    assert.equal((await run(swapped)).code, 0);
    copyFileSync('/bin/echo', join(dir, 'swap2'));
    chmodSync(join(dir, 'swap2'), 0o755);
    renameSync(join(dir, 'swap2'), swapped);
    assert.match((await run(`${swapped} x`)).stderr, denied, 'renamed over: another inode, no mark');
    // New rules flush the marks: a block rule takes effect at once.
    await h.apply({}, [{ id: 'block-true', name: 'true', action: 'block', hashes: [sha256('/bin/true')] }]);
    assert.equal(h.counter('kernelIgnoreMarks'), 0);
    assert.match((await run(copyOfKnown('root-tool-3', 0o755))).stderr, denied);
    await h.apply({});
  });

  test('remembered verdicts: known software is answered in the kernel package, unknown is still blocked, a remembered block still blocks and is reported', async () => {
    await h.apply({});
    const known = copyOfKnown('steady', 0o775);
    const hits = () => h.counter('kernelCacheHits');
    const before = hits();
    await waitUntil(async () => (await run(known)).code === 0 && hits() > before, 'a remembered allow', 15_000);
    assert.ok(h.counter('kernelCacheEntries') >= 1);
    await h.apply({});
    assert.ok(h.counter('kernelCacheEntries') >= 1, 'the same configuration applied again keeps them');
    const checks = h.counter('checks');
    assert.equal((await run(known)).code, 0);
    assert.equal(h.counter('checks'), checks, 'the agent did not judge it again');

    copyFileSync('/bin/echo', join(dir, 'newcomer'));
    chmodSync(join(dir, 'newcomer'), 0o755);
    assert.match((await run(`${join(dir, 'newcomer')} x`)).stderr, denied, 'unknown: still blocked');

    // A block rule's verdict is remembered too (once the file has settled) and still reported.
    const block = { id: 'block-known-again', name: 'known', action: 'block', hashes: [sha256(known)] };
    await h.apply({}, [block]);
    assert.equal(h.counter('kernelCacheEntries'), 0, 'new rules: nothing remembered');
    const denials = () => h.counter('kernelCacheDenied');
    const deniedBefore = denials();
    await waitUntil(
      async () => denied.test((await run(known)).stderr) && denials() > deniedBefore,
      'a remembered block',
      15_000,
    );
    assert.match((await run(known)).stderr, denied, 'denied by the kernel package');
    await waitUntil(() => h.counter('answeredInKernel') >= 2, 'the agent to hear of the remembered blocks');
    assert.ok(h.counter('reportsSuppressed') >= 1, 'repeats are counted in the reports');
    await h.apply({});
    assert.equal((await run(known)).code, 0, 'rule gone: runs again');
  });

  test('allow-unrecognized mode lets it run and reports it once per interval', async () => {
    await h.apply({ mode: 'allow-unrecognized' });
    const reportsBefore = h.events.filter((e) => e.type === 'unrecognized-allowed').length;
    assert.equal((await run(`${join(dir, 'stranger')} a`)).stdout, 'a\n');
    assert.equal((await run(`${join(dir, 'stranger')} b`)).stdout, 'b\n');
    const event = await h.waitFor(
      (e) => e.type === 'unrecognized-allowed' && e.details?.path === join(dir, 'stranger'),
    );
    assert.equal(event.action, 'Detect Only: Block');
    assert.equal(h.events.filter((e) => e.type === 'unrecognized-allowed').length, reportsBefore + 1);
    assert.ok(h.counter('reportsSuppressed') >= 1);
  });

  test("the agent's own children are never held (they are the agent)", async () => {
    await h.apply({});
    const { spawnSync } = await import('node:child_process');
    const child = spawnSync(join(dir, 'stranger'), ['mine'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.stdout, 'mine\n');
    assert.match((await run(`${join(dir, 'stranger')} x`)).stderr, denied, 'a grandchild is held');
  });

  test('a refused configuration leaves the previous one in force and says so', async () => {
    await h.apply({ mode: 'block-unrecognized' });
    await h.module.apply({ enabled: true, configuration: { settings: { mode: 'sometimes' } } }, {} as never);
    assert.equal(h.module.status().state, 'error');
    assert.match(h.module.status().reason ?? '', /previous one stays in force/);
    assert.match((await run(`${join(dir, 'stranger')} x`)).stderr, denied, 'still enforced');
  });

  test('the inventory is kept in the data directory and offered as a snapshot', async () => {
    const stored = JSON.parse(readFileSync(join(h.dataDir, 'inventory.json'), 'utf8')) as {
      entries: [string, string][];
    };
    assert.ok(
      stored.entries.some(
        ([path, hash]) => path === join(dir, 'bin', 'known.sh') && hash === sha256(join(dir, 'bin', 'known.sh')),
      ),
    );
    const source = h.module as unknown as {
      snapshots(): { name: string }[];
      readSnapshot(n: string, m: number): Promise<{ total: number; entries: { key: string }[] }>;
    };
    assert.deepEqual(
      source.snapshots().map((s) => s.name),
      ['inventory'],
    );
    const snap = await source.readSnapshot('inventory', 10);
    assert.ok(snap.entries.some((e) => e.key === join(dir, 'bin', 'known.sh')));
  });
});
