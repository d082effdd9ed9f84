/**
 * The fanotify channel answering by itself: remembered verdicts (keyed by the file's identity and
 * path) and opens by programs that run no other files. Real fanotify on a tmpfs mounted for this
 * test only; child processes do the execs and opens.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, rmdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type FileAccessEvent,
  type FileAccessMonitor,
  type FileIdentity,
  openFileAccessMonitor,
} from '@bulwark/kernel';
import { kernelSkipReason } from './netns-lab.js';
import { run } from './run-command.js';

const skip = kernelSkipReason('fanotify verdict cache on a test tmpfs', { tools: ['mount', 'umount', 'sh', 'cat'] });
if (skip) console.log(`# skipping fanotify verdict cache tests: ${skip}`);

const denied = /Operation not permitted|Permission denied/;

describe('fanotify verdicts answered in the channel thread', { skip }, () => {
  let dir: string;
  const monitors: FileAccessMonitor[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-fan-cache-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'bulwark-fan-cache-test', dir]);
    writeFileSync(join(dir, 'data.txt'), 'data\n');
  });

  after(() => {
    for (const m of monitors) m.close();
    if (dir) {
      spawnSync('umount', [dir]);
      rmdirSync(dir);
    }
  });

  /** A monitor on the test mount whose JS handler answers `verdict` and records what it saw. */
  const monitorWith = (
    verdict: (e: FileAccessEvent) => 'allow' | 'deny' | 'allow-until-modified',
    cacheSize = 16,
    maxIgnoreMarks = 0,
  ) => {
    const seen: FileAccessEvent[] = [];
    const opened = openFileAccessMonitor({
      verdictCacheSize: cacheSize,
      maxIgnoreMarks,
      onEvents(events, m) {
        for (const e of events) {
          seen.push(e);
          if (!e.permission || e.answered !== undefined) continue;
          const v = verdict(e);
          m.respond(e.id, v === 'deny' ? 'deny' : 'allow', { untilModified: v === 'allow-until-modified' });
        }
      },
    });
    assert.ok(opened.available, opened.available ? '' : opened.reason);
    monitors.push(opened.value);
    assert.deepEqual(opened.value.mark(dir, 'mount', ['exec-permission']), { ok: true });
    return { monitor: opened.value, seen };
  };

  /** A fresh program on the mount, with its times set in the past so that a later write shows. */
  const program = (name: string, from = '/bin/true') => {
    const path = join(dir, name);
    copyFileSync(from, path);
    execFileSync('chmod', ['755', path]);
    utimesSync(path, 1_000_000, 1_000_000);
    return path;
  };

  /** Runs path once through sh (this event loop stays free to answer) and returns the event JS saw, if any. */
  const execOnce = async (seen: FileAccessEvent[], path: string) => {
    const before = seen.length;
    const result = await run('sh', ['-c', `${path}\nexit $?`]);
    return { result, event: seen.slice(before).find((e) => e.path === path) };
  };

  /** Waits until the wall clock is past the file's ctime, so that a write now gets another ctime. */
  const waitPastCtime = async (path: string) => {
    const ctimeMs = Number(statSync(path, { bigint: true }).ctimeNs / 1_000_000n);
    await waitFor(() => Date.now() > ctimeMs + 20, 'the clock to pass the ctime');
  };

  const identity = (e: FileAccessEvent | undefined): FileIdentity => {
    assert.ok(e?.file, 'the event carries the file identity');
    return e.file;
  };

  test('a remembered allow is answered without JS; an unknown program still goes to JS and is denied', async () => {
    const { monitor, seen } = monitorWith((e) => (e.path.endsWith('/known') ? 'allow' : 'deny'));
    const known = program('known');
    const first = await execOnce(seen, known);
    assert.equal(first.result.code, 0);
    assert.ok(monitor.cacheVerdict(identity(first.event), known, 'allow', false));
    const second = await execOnce(seen, known);
    assert.equal(second.result.code, 0);
    assert.equal(second.event, undefined, 'answered in the thread: JS never saw it');
    const stranger = program('stranger', '/bin/echo');
    const blocked = await execOnce(seen, stranger);
    assert.match(blocked.result.stderr, denied);
    assert.ok(blocked.event, 'the unknown program went to JS');
    const stats = monitor.stats();
    assert.equal(stats.cacheHits, 1);
    assert.equal(stats.cacheAllowed, 1);
    assert.ok(stats.cacheMisses >= 2, JSON.stringify(stats));
    monitor.close();
  });

  test('a remembered deny denies without JS and JS hears of it afterwards when asked (notify)', async () => {
    const { monitor, seen } = monitorWith(() => 'deny');
    const bad = program('bad');
    const first = await execOnce(seen, bad);
    assert.match(first.result.stderr, denied);
    monitor.cacheVerdict(identity(first.event), bad, 'deny', true);
    const second = await run('sh', ['-c', `${bad}\nexit $?`]);
    assert.match(second.stderr, denied);
    await waitFor(() => seen.some((e) => e.answered === 'deny' && e.path === bad), 'the notification');
    const note = seen.find((e) => e.answered === 'deny');
    assert.equal(note?.id, 0, 'nothing to answer');
    assert.ok(note?.types.includes('exec-permission'));
    assert.equal(monitor.stats().cacheDenied, 1);
    monitor.close();
  });

  test('a program rewritten in place (same size) or renamed over misses and goes to JS again', async () => {
    const { monitor, seen } = monitorWith(() => 'allow');
    const target = program('target');
    const first = await execOnce(seen, target);
    monitor.cacheVerdict(identity(first.event), target, 'allow', false);
    assert.equal((await execOnce(seen, target)).event, undefined, 'remembered');
    await waitPastCtime(target);
    const bytes = statSync(target).size;
    execFileSync('dd', ['if=/dev/zero', `of=${target}`, 'bs=1', 'count=8', `seek=${bytes >> 1}`, 'conv=notrunc'], {
      stdio: 'ignore',
    });
    assert.equal(statSync(target).size, bytes, 'same size');
    const rewritten = await execOnce(seen, target);
    assert.ok(rewritten.event, 'rewritten in place: judged again');
    assert.equal(monitor.stats().cacheStale, 1);

    monitor.cacheVerdict(identity(rewritten.event), target, 'allow', false);
    assert.equal((await execOnce(seen, target)).event, undefined, 'remembered again');
    const swap = program('swap', '/bin/true');
    renameSync(swap, target);
    assert.ok((await execOnce(seen, target)).event, 'renamed over (another inode, same content): judged again');
    monitor.close();
  });

  test('the cache keeps at most its size (the oldest goes) and can be cleared', async () => {
    const { monitor, seen } = monitorWith(() => 'allow', 2);
    const paths = ['one', 'two', 'three'].map((n) => program(n));
    for (const p of paths) {
      const { event } = await execOnce(seen, p);
      monitor.cacheVerdict(identity(event), p, 'allow', false);
    }
    let stats = monitor.stats();
    assert.equal(stats.cacheEntries, 2);
    assert.equal(stats.cacheEvicted, 1);
    assert.equal(stats.cacheCapacity, 2);
    assert.ok((await execOnce(seen, paths[0] as string)).event, 'the oldest was dropped');
    assert.equal((await execOnce(seen, paths[2] as string)).event, undefined, 'the newest is kept');
    monitor.clearVerdicts();
    stats = monitor.stats();
    assert.equal(stats.cacheEntries, 0);
    assert.ok((await execOnce(seen, paths[2] as string)).event, 'cleared');
    monitor.close();
  });

  test('a cached verdict is for one path: another name of the same file goes to JS', async () => {
    const { monitor, seen } = monitorWith(() => 'allow');
    const a = program('linked-a');
    const { event } = await execOnce(seen, a);
    monitor.cacheVerdict(identity(event), a, 'allow', false);
    const b = join(dir, 'linked-b');
    execFileSync('ln', [a, b]);
    assert.ok((await execOnce(seen, b)).event);
    monitor.close();
  });

  test('allowed until modified: the kernel stops asking for that inode until it is written; bounded; flushed', async () => {
    const { monitor, seen } = monitorWith(() => 'allow-until-modified', 0, 2);
    const quiet = program('quiet');
    assert.ok((await execOnce(seen, quiet)).event, 'first exec: asked');
    assert.equal((await execOnce(seen, quiet)).event, undefined, 'second: the kernel did not ask');
    assert.equal(monitor.stats().ignoreMarks, 1);
    const bytes = statSync(quiet).size;
    execFileSync('dd', ['if=/dev/zero', `of=${quiet}`, 'bs=1', 'count=4', `seek=${bytes >> 1}`, 'conv=notrunc'], {
      stdio: 'ignore',
    });
    assert.ok((await execOnce(seen, quiet)).event, 'written: asked again');
    const others = ['quiet-2', 'quiet-3'].map((n) => program(n));
    for (const p of others) await execOnce(seen, p);
    assert.equal(monitor.stats().ignoreFlushes, 1, 'the third mark flushed the first two');
    assert.ok(monitor.stats().ignoreMarks <= 2);
    monitor.clearVerdicts();
    assert.equal(monitor.stats().ignoreMarks, 0);
    assert.ok((await execOnce(seen, others[1] as string)).event, 'flushed: asked again');
    monitor.close();
  });

  test('opens by programs that run no other files are allowed in the thread; an interpreter’s go to JS', async () => {
    const seen: FileAccessEvent[] = [];
    const opened = openFileAccessMonitor({
      onEvents(events, m) {
        for (const e of events) {
          seen.push(e);
          m.respond(e.id, 'deny');
        }
      },
    });
    assert.ok(opened.available);
    const monitor = opened.value;
    monitors.push(monitor);
    assert.equal(monitor.judgeOpensOnlyBy(['(unclosed']).ok, false, 'a bad pattern is refused');
    assert.deepEqual(monitor.judgeOpensOnlyBy(['^(ba|da)?sh$']), { ok: true });
    assert.deepEqual(monitor.mark(dir, 'mount', ['open-permission']), { ok: true });
    const data = join(dir, 'data.txt');
    const cat = await run('cat', [data]);
    assert.equal(cat.stdout, 'data\n', 'cat is no interpreter: allowed in C');
    assert.ok(!seen.some((e) => e.path === data));
    assert.ok(monitor.stats().opensPassed >= 1);
    const sh = await run('sh', [data]);
    assert.notEqual(sh.code, 0, 'sh opening it went to JS, which denied');
    assert.ok(seen.some((e) => e.path === data));
    assert.deepEqual(monitor.judgeOpensOnlyBy(null), { ok: true });
    assert.notEqual((await run('cat', [data])).code, 0, 'without the filter every open goes to JS');
    monitor.close();
  });
});

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
