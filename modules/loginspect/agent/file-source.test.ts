import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileSource, type FileSourceOptions } from './file-source.js';

const root = mkdtempSync(join(tmpdir(), 'loginspect-files-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function dir(): string {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
}

/** Polls once and returns `[path basename?] text` of each record. */
function poll(source: FileSource, now = 0, withPath = false): string[] {
  const out: string[] = [];
  source.poll(now, (r, path) =>
    out.push(withPath ? `${path.slice(path.lastIndexOf('/', path.lastIndexOf('/') - 1) + 1)} ${r.text}` : r.text),
  );
  return out;
}

function source(options: FileSourceOptions, fresh = true): FileSource {
  const s = new FileSource(options);
  s.restore(fresh ? undefined : []);
  return s;
}

test('history is skipped on a first start; a renamed file is read to its end (late writes too) before its successor', () => {
  const d = dir();
  const log = join(d, 'app.log');
  writeFileSync(log, 'old history\n');
  const s = source({ path: log, rotatedGraceMs: 5000 });
  assert.deepEqual(poll(s, 0), []);
  appendFileSync(log, 'A1\nA2\n');
  assert.deepEqual(poll(s, 1000), ['A1', 'A2']);
  appendFileSync(log, 'A3\n');
  renameSync(log, `${log}.1`);
  writeFileSync(log, 'B1\n');
  appendFileSync(`${log}.1`, 'A4\n');
  assert.deepEqual(poll(s, 2000), ['A3', 'A4', 'B1']);
  // The writer still had the old file open: a late write within the grace period is read, and
  // its last line, never ended by a newline, is passed on when the file is let go.
  appendFileSync(`${log}.1`, 'A5\nA6 without newline');
  appendFileSync(log, 'B2\n');
  assert.deepEqual(poll(s, 3000), ['A5', 'B2']);
  assert.deepEqual(poll(s, 7001), ['A6 without newline']);
  assert.equal(s.followedFiles, 1);
  s.close();
});

test('truncation starts over at 0, also when the file was truncated and rewritten past the old size', () => {
  const d = dir();
  const log = join(d, 'app.log');
  writeFileSync(log, '');
  const s = source({ path: log });
  poll(s);
  appendFileSync(log, 'one\ntwo\n');
  assert.deepEqual(poll(s), ['one', 'two']);
  truncateSync(log, 0);
  appendFileSync(log, 'three\n');
  assert.deepEqual(poll(s), ['three']);
  // copytruncate then a burst longer than what was read: only the head bytes tell.
  truncateSync(log, 0);
  appendFileSync(log, 'FOUR is longer than before\nfive\n');
  assert.deepEqual(poll(s), ['FOUR is longer than before', 'five']);
  s.close();
});

test('globs in directory components, bounded, hidden and symlinked directories left out', () => {
  const d = dir();
  for (const site of ['a', 'b', '.hidden']) {
    mkdirSync(join(d, site));
    writeFileSync(join(d, site, 'access.log'), '');
  }
  mkdirSync(join(d, 'c'));
  symlinkSync(join(d, 'a'), join(d, 'link'));
  const s = source({ path: join(d, '*', 'access.log') });
  assert.deepEqual(poll(s), []);
  for (const site of ['a', 'b', '.hidden']) appendFileSync(join(d, site, 'access.log'), `${site} hit\n`);
  assert.deepEqual(poll(s, 0, true), ['a/access.log a hit', 'b/access.log b hit']);
  assert.deepEqual(
    s.problems.map((p) => [p.path, p.reason]),
    [[join(d, 'link'), 'symbolic link to a directory, not followed (followSymlinks is off)']],
  );
  // A site created later is read from its start.
  mkdirSync(join(d, 'c2'));
  writeFileSync(join(d, 'c2', 'access.log'), 'c2 first\n');
  assert.deepEqual(poll(s), ['c2 first']);
  s.close();
  const bounded = source({ path: join(d, '*', 'access.log'), globLimits: { maxMatches: 2, maxEntries: 1000 } });
  poll(bounded);
  assert.match(bounded.problems.map((p) => p.reason).join('|'), /3 files match; only the first 2 are followed/);
  bounded.close();
  const none = source({ path: join(d, 'nothing-*.log') });
  poll(none);
  assert.deepEqual(
    none.problems.map((p) => p.reason),
    ['no file matches'],
  );
});

test('missing, fifo, device, symlinked and unreadable paths are reported with the reason, never read', () => {
  const d = dir();
  const secret = join(d, 'shadow');
  writeFileSync(secret, 'root:$6$secret:19000::::::\n');
  symlinkSync(secret, join(d, 'link.log'));
  execFileSync('mkfifo', [join(d, 'pipe.log')]);
  const problems = (options: FileSourceOptions) => {
    const s = source(options, false);
    const lines = poll(s);
    s.close();
    return { lines, reasons: s.problems.map((p) => `${p.path ?? p.source}: ${p.reason}`) };
  };
  assert.deepEqual(problems({ path: join(d, 'missing.log') }).reasons, [`${join(d, 'missing.log')}: missing`]);
  assert.deepEqual(problems({ path: join(d, 'pipe.log') }).reasons, [`${join(d, 'pipe.log')}: a fifo, not read`]);
  assert.deepEqual(problems({ path: '/dev/null' }).reasons, ['/dev/null: a character device, not read']);
  assert.deepEqual(problems({ path: d }).reasons, [`${d}: a directory, not read`]);
  const linked = problems({ path: join(d, 'link.log') });
  assert.deepEqual(linked.reasons, [`${join(d, 'link.log')}: a symbolic link, not followed (followSymlinks is off)`]);
  assert.deepEqual(linked.lines, []);
  // Through a glob too: the fifo and the link are matches that are reported, not read.
  const globbed = problems({ path: join(d, '*.log') });
  assert.deepEqual(globbed.lines, []);
  assert.equal(globbed.reasons.length, 2);
  // Allowed explicitly, the link is followed (a source created now reads from the start).
  assert.deepEqual(problems({ path: join(d, 'link.log'), followSymlinks: true }).lines, ['root:$6$secret:19000::::::']);

  // Unreadable: root reads anything, so the check runs as nobody.
  const unreadable = join(d, 'private.log');
  writeFileSync(unreadable, 'x\n');
  chmodSync(unreadable, 0o600);
  chmodSync(root, 0o755);
  chmodSync(d, 0o755);
  const script = `import { openLogFile } from ${JSON.stringify(new URL('./safe-open.ts', import.meta.url).href)};
    console.log(JSON.stringify(openLogFile(${JSON.stringify(unreadable)}, false)));`;
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    ...asNobody,
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), {
    ok: false,
    reason: 'unreadable: permission denied (EACCES)',
    missing: false,
  });
});

test('a megabyte line is cut to 64 KiB and marked; multi-line records are joined per source', () => {
  const d = dir();
  const log = join(d, 'app.log');
  writeFileSync(log, '');
  const s = new FileSource({ path: log, multiline: { pattern: '^\\s', match: 'after', timeoutMs: 1000 } });
  s.restore(undefined);
  poll(s, 0);
  appendFileSync(log, `${'x'.repeat(1024 * 1024)}\nError: boom\n  at f (a.js:1)\n  at g (b.js:2)\nnext\n`);
  const records: { length: number; truncated: boolean; text: string }[] = [];
  s.poll(10, (r) => records.push({ length: r.text.length, truncated: r.truncated, text: r.text.slice(0, 40) }));
  assert.deepEqual(records, [
    { length: 65_536, truncated: true, text: 'x'.repeat(40) },
    { length: 43, truncated: false, text: 'Error: boom   at f (a.js:1)   at g (b.js' },
  ]);
  // `next` waits for continuation lines: the checkpoint stays before it until the timeout.
  const size = 1024 * 1024 + 1 + 'Error: boom\n  at f (a.js:1)\n  at g (b.js:2)\n'.length;
  assert.equal(s.checkpoint()[0]?.offset, size);
  assert.deepEqual(poll(s, 500), []);
  assert.deepEqual(poll(s, 1010), ['next']);
  assert.equal(s.checkpoint()[0]?.offset, size + 5);
  s.close();
});

test('checkpoints resume exactly; a reused inode (other head bytes) is read from its start', () => {
  const d = dir();
  const log = join(d, 'app.log');
  writeFileSync(log, 'h1\n');
  const first = source({ path: log });
  poll(first);
  appendFileSync(log, 'l1\nl2 partial');
  assert.deepEqual(poll(first), ['l1']);
  const saved = first.checkpoint();
  first.close();
  appendFileSync(log, ' end\nl3\n');
  const second = new FileSource({ path: log });
  second.restore(saved);
  assert.deepEqual(poll(second), ['l2 partial end', 'l3']);
  second.close();
  const forged = saved.map((c) => ({ ...c, fingerprint: 'f'.repeat(64) }));
  const third = new FileSource({ path: log });
  third.restore(forged);
  assert.deepEqual(poll(third), ['h1', 'l1', 'l2 partial end', 'l3']);
  third.close();
});
