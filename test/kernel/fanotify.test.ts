/**
 * fanotify against the real kernel, on a tmpfs mounted for this test only (never the host's own
 * filesystems). This process is the listener; child processes do the opens, execs and writes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type FileAccessEvent,
  type FileAccessMonitor,
  type FileAccessMonitorOptions,
  openFileAccessMonitor,
} from '@bulwark/kernel';
import { kernelSkipReason } from './netns-lab.js';
import { run } from './run-command.js';

const skip = kernelSkipReason('fanotify on a test tmpfs', { tools: ['mount', 'umount', 'cat', 'chmod'] });
if (skip) console.log(`# skipping fanotify system tests: ${skip}`);

describe('fanotify file access monitor', { skip }, () => {
  let dir: string;
  const monitors: FileAccessMonitor[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-fanotify-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0755', 'bulwark-test', dir]);
    writeFileSync(join(dir, 'ok.txt'), 'plain text\n');
    writeFileSync(join(dir, 'secret.txt'), 'do not read\n');
    writeFileSync(join(dir, 'infected.txt'), 'X5O-TEST-SIGNATURE payload\n');
    copyFileSync('/bin/true', join(dir, 'tool'));
    execFileSync('chmod', ['755', join(dir, 'tool')]);
  });

  after(() => {
    for (const m of monitors) m.close();
    if (dir) {
      spawnSync('umount', [dir]);
      rmdirSync(dir);
    }
  });

  const open = (options: FileAccessMonitorOptions): FileAccessMonitor => {
    const opened = openFileAccessMonitor(options);
    assert.ok(opened.available, opened.available ? '' : opened.reason);
    monitors.push(opened.value);
    return opened.value;
  };

  test('denies one open and allows another, per the handler', async () => {
    const seen: FileAccessEvent[] = [];
    const monitor = open({
      onEvents(events, m) {
        for (const e of events) {
          seen.push(e);
          if (e.permission) m.respond(e.id, e.path.endsWith('/secret.txt') ? 'deny' : 'allow');
        }
      },
    });
    assert.deepEqual(monitor.mark(dir, 'filesystem', ['open-permission']), { ok: true });
    const denied = await run('cat', [join(dir, 'secret.txt')]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Operation not permitted/);
    const allowed = await run('cat', [join(dir, 'ok.txt')]);
    assert.equal(allowed.code, 0);
    assert.equal(allowed.stdout, 'plain text\n');
    const secret = seen.find((e) => e.path === join(dir, 'secret.txt'));
    assert.ok(secret, JSON.stringify(seen));
    assert.deepEqual(secret.types, ['open-permission']);
    assert.ok(secret.pid > 0 && secret.pid !== process.pid);
    monitor.close();
    assert.equal((await run('cat', [join(dir, 'secret.txt')])).code, 0, 'closing the monitor lifts the denial');
  });

  test('decides on content read through the event descriptor', async () => {
    const monitor = open({
      onEvents(events, m) {
        for (const e of events) {
          const head = m.read(e.id, 0, 64)?.toString('utf8') ?? '';
          m.respond(e.id, head.includes('X5O-TEST-SIGNATURE') ? 'deny' : 'allow');
        }
      },
    });
    assert.deepEqual(monitor.mark(dir, 'mount', ['open-permission']), { ok: true });
    assert.notEqual((await run('cat', [join(dir, 'infected.txt')])).code, 0);
    assert.equal((await run('cat', [join(dir, 'ok.txt')])).code, 0);
    assert.equal(monitor.read(999_999, 0, 10), null, 'no longer pending → null');
    monitor.close();
  });

  test('exec permission: deny and allow running a program', async () => {
    let verdict: 'allow' | 'deny' = 'deny';
    const execs: FileAccessEvent[] = [];
    const monitor = open({
      onEvents(events, m) {
        for (const e of events) {
          execs.push(e);
          m.respond(e.id, verdict);
        }
      },
    });
    assert.deepEqual(monitor.mark(dir, 'filesystem', ['exec-permission']), { ok: true });
    // Through sh: Node's own spawn blocks this event loop until the exec completes.
    const denied = await run('sh', ['-c', join(dir, 'tool')]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Operation not permitted|Permission denied/);
    verdict = 'allow';
    assert.equal((await run('sh', ['-c', join(dir, 'tool')])).code, 0);
    assert.ok(execs.length >= 2);
    assert.ok(execs.every((e) => e.types.includes('exec-permission') && e.path === join(dir, 'tool')));
    assert.equal((await run('cat', [join(dir, 'ok.txt')])).code, 0, 'plain opens are not held');
    monitor.close();
  });

  test("events carry the file's identity from the event descriptor (inode, size, times)", async () => {
    const seen: FileAccessEvent[] = [];
    const monitor = open({
      onEvents(events, m) {
        for (const e of events) {
          seen.push(e);
          if (e.permission) m.respond(e.id, 'allow');
        }
      },
    });
    assert.deepEqual(monitor.mark(dir, 'filesystem', ['open-permission']), { ok: true });
    assert.equal((await run('cat', [join(dir, 'ok.txt')])).code, 0);
    const event = seen.find((e) => e.path === join(dir, 'ok.txt'));
    const st = statSync(join(dir, 'ok.txt'), { bigint: true });
    assert.ok(event?.file, JSON.stringify(seen));
    assert.equal(event.file.ino, Number(st.ino));
    assert.equal(event.file.dev, Number(st.dev));
    assert.equal(event.file.size, 11);
    assert.equal(event.file.mtimeSec, Number(st.mtimeNs / 1_000_000_000n));
    assert.equal(event.file.mtimeNsec, Number(st.mtimeNs % 1_000_000_000n));
    assert.equal(event.file.mode & 0o777, Number(st.mode) & 0o777);
    monitor.close();
  });

  test("allowOwnChildren: this process's own children are not held, even when nobody answers", () => {
    const monitor = open({ deadlineMs: 5000, allowOwnChildren: true, onEvents: () => {} });
    assert.deepEqual(monitor.mark(dir, 'filesystem', ['exec-permission']), { ok: true });
    // spawnSync blocks this event loop: only the C side can let the child run before the deadline.
    const started = process.hrtime.bigint();
    const child = spawnSync(join(dir, 'tool'), [], { timeout: 20_000 });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(child.status, 0);
    assert.ok(ms < 4000, `allowed at once, not by the 5 s deadline (${ms} ms)`);
    assert.equal(monitor.stats().defaulted, 0);
    monitor.close();
  });

  test('close-write notifications carry the path and need no answer', async () => {
    const notes: FileAccessEvent[] = [];
    const monitor = open({ onEvents: (events) => notes.push(...events) });
    assert.deepEqual(monitor.mark(dir, 'filesystem', ['close-write']), { ok: true });
    assert.equal((await run('sh', ['-c', `echo changed > ${join(dir, 'written.txt')}`])).code, 0);
    await waitFor(() => notes.some((n) => n.path === join(dir, 'written.txt')));
    const note = notes.find((n) => n.path === join(dir, 'written.txt'));
    assert.ok(note);
    assert.deepEqual(note.types, ['close-write']);
    assert.equal(note.permission, false);
    assert.equal(note.id, 0);
    monitor.close();
  });

  test('unanswered events get the default after the deadline, even with the event loop blocked', () => {
    const allowByDefault = open({ deadlineMs: 200, onEvents: () => {} });
    assert.deepEqual(allowByDefault.mark(dir, 'filesystem', ['open-permission']), { ok: true });
    // spawnSync blocks this event loop: only the addon's own deadline can answer.
    const opened = spawnSync('cat', [join(dir, 'ok.txt')], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(opened.status, 0);
    assert.equal(opened.stdout, 'plain text\n');
    assert.ok(allowByDefault.stats().defaulted >= 1);
    allowByDefault.close();

    const denyByDefault = open({ deadlineMs: 200, defaultResponse: 'deny', onEvents: () => {} });
    assert.deepEqual(denyByDefault.mark(dir, 'filesystem', ['open-permission']), { ok: true });
    const refused = spawnSync('cat', [join(dir, 'ok.txt')], { encoding: 'utf8', timeout: 10_000 });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /Operation not permitted/);
    assert.ok(denyByDefault.stats().defaulted >= 1);
    denyByDefault.close();
  });

  test('answers after the deadline are ignored and counted', async () => {
    const late: FileAccessEvent[] = [];
    const monitor = open({ deadlineMs: 100, onEvents: (events) => late.push(...events) });
    assert.deepEqual(monitor.mark(dir, 'filesystem', ['open-permission']), { ok: true });
    assert.equal((await run('cat', [join(dir, 'ok.txt')])).code, 0);
    await waitFor(() => late.length > 0);
    // cat could open the file only once its event was answered, and no one answered it: the
    // deadline did. Wait for that count, not for a time, before answering late.
    await waitFor(() => monitor.stats().defaulted >= 1);
    const first = late[0];
    assert.ok(first);
    assert.equal(monitor.respond(first.id, 'deny'), false);
    const stats = monitor.stats();
    assert.ok(stats.lateAnswers >= 1 && stats.defaulted >= 1, JSON.stringify(stats));
    monitor.close();
  });

  test("this process's own opens are neither held nor reported", () => {
    const seen: FileAccessEvent[] = [];
    const monitor = open({
      defaultResponse: 'deny',
      onEvents(events, m) {
        seen.push(...events);
        for (const e of events) m.respond(e.id, 'deny');
      },
    });
    assert.deepEqual(monitor.mark(dir, 'filesystem', ['open-permission']), { ok: true });
    assert.equal(readFileSync(join(dir, 'secret.txt'), 'utf8'), 'do not read\n');
    assert.equal(seen.length, 0);
    monitor.close();
  });

  test('an inode mark holds only that file, and unmark releases it', async () => {
    const monitor = open({
      onEvents(events, m) {
        for (const e of events) m.respond(e.id, 'deny');
      },
    });
    assert.deepEqual(monitor.mark(join(dir, 'secret.txt'), 'inode', ['open-permission']), { ok: true });
    assert.notEqual((await run('cat', [join(dir, 'secret.txt')])).code, 0);
    assert.equal((await run('cat', [join(dir, 'ok.txt')])).code, 0, 'unmarked file is not held');
    assert.deepEqual(monitor.unmark(join(dir, 'secret.txt'), 'inode', ['open-permission']), { ok: true });
    assert.equal((await run('cat', [join(dir, 'secret.txt')])).code, 0);
    monitor.close();
  });

  test('a bad mark is an error value with the reason', () => {
    const monitor = open({ onEvents: () => {} });
    const r = monitor.mark(join(dir, 'missing', 'nowhere'), 'inode', ['open-permission']);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /ENOENT/);
    monitor.close();
    assert.equal(monitor.mark(dir, 'mount', ['open']).ok, false, 'closed monitor');
  });
});

/** Polls `check` for up to 30 s: long enough for a machine under load, free when it holds at once. */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}
