import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import type { FileCheckpoint } from './file-identity.js';
import { FileSource, type FileSourceOptions } from './file-source.js';
import { FileTable } from './file-table.js';

const root = mkdtempSync(join(tmpdir(), 'loginspect-table-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function dir(): string {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
}

/** The file sources of one configuration, in list order, as the agent module runs them. */
class Sources {
  readonly table = new FileTable();
  readonly list: FileSource[];

  constructor(options: FileSourceOptions[], saved?: Record<string, FileCheckpoint[]>) {
    this.list = options.map((o, rank) => {
      const s = new FileSource(o, { table: this.table, rank });
      s.restore(saved ? (saved[o.path] ?? []) : undefined);
      return s;
    });
  }

  /** One poll: `<file name> <record>` for every record, in the order handed out. */
  poll(now = 0): string[] {
    const out: string[] = [];
    const sink = (r: { text: string }, path: string) => out.push(`${basename(path)} ${r.text}`);
    for (const s of this.list) s.scan(now, sink);
    this.table.read(now, sink);
    return out;
  }

  checkpoints(): Record<string, FileCheckpoint[]> {
    return Object.fromEntries(this.list.map((s) => [s.key, s.checkpoint()]));
  }

  close(): void {
    for (const s of this.list) s.close();
  }
}

test('a file matched by a path, a glob and a symbolic link is read once, with the settings of the first entry', () => {
  const d = dir();
  const app = join(d, 'app.log');
  const other = join(d, 'other.log');
  writeFileSync(app, '');
  writeFileSync(other, '');
  symlinkSync(app, join(d, 'link.log'));
  const s = new Sources([
    { path: app, multiline: { pattern: '^\\s', match: 'after' } },
    { path: join(d, '*.log') },
    { path: join(d, 'link.log'), followSymlinks: true },
  ]);
  assert.deepEqual(s.poll(0), []);
  appendFileSync(app, 'Error: boom\n  at f (a.js:1)\nnext\n');
  appendFileSync(other, 'o1\n');
  // The glob also matches link.log, but does not follow links; the third entry does, to app.log.
  assert.deepEqual(s.poll(5000), ['app.log Error: boom   at f (a.js:1)', 'other.log o1']);
  // `next` waits for continuation lines (the first entry's multi-line settings) until the timeout.
  assert.deepEqual(s.poll(9000), ['app.log next']);
  assert.deepEqual(
    s.list.map((x) => x.followedFiles),
    [1, 1, 0],
  );
  assert.deepEqual(
    s.list.map((x) => x.checkpoint().map((c) => basename(c.path))),
    [['app.log'], ['other.log'], []],
  );
  s.close();
  assert.equal(s.table.files.size, 0);
});

test('the first entry in the list wins even when it is the glob; the later path adds nothing', () => {
  const d = dir();
  const app = join(d, 'app.log');
  writeFileSync(app, '');
  const s = new Sources([{ path: join(d, '*.log') }, { path: app, multiline: { pattern: '^\\s', match: 'after' } }]);
  s.poll(0);
  appendFileSync(app, 'Error: boom\n  at f (a.js:1)\n');
  assert.deepEqual(s.poll(1), ['app.log Error: boom', 'app.log   at f (a.js:1)']);
  s.close();
});

test('a rotated file another entry matches is taken over where it stands: no line twice, none lost, old before new', () => {
  const d = dir();
  const app = join(d, 'app.log');
  writeFileSync(app, '');
  const s = new Sources([
    { path: app, rotatedGraceMs: 0 },
    { path: join(d, 'app.log.*'), rotatedGraceMs: 0 },
  ]);
  s.poll(0);
  appendFileSync(app, 'A1\n');
  assert.deepEqual(s.poll(1), ['app.log A1']);
  appendFileSync(app, 'A2\n');
  renameSync(app, `${app}.1`);
  writeFileSync(app, 'B1\n');
  appendFileSync(`${app}.1`, 'A3\n');
  assert.deepEqual(s.poll(2), ['app.log.1 A2', 'app.log.1 A3', 'app.log B1']);
  // Still followed (by the glob) after the grace period: a late write is read once.
  appendFileSync(`${app}.1`, 'A4\n');
  assert.deepEqual(s.poll(10_000), ['app.log.1 A4']);
  const saved = s.checkpoints();
  assert.deepEqual(
    Object.values(saved).map((list) => list.map((c) => basename(c.path))),
    [['app.log'], ['app.log.1']],
  );
  s.close();

  // A restart with a new glob listed first: it takes both files, continuing from the checkpoints
  // the other entries saved for them.
  appendFileSync(app, 'B2\n');
  appendFileSync(`${app}.1`, 'A5\n');
  const again = new Sources([{ path: join(d, 'app.log*') }, { path: app }, { path: join(d, 'app.log.*') }], saved);
  assert.deepEqual(again.poll(20_000).sort(), ['app.log B2', 'app.log.1 A5']);
  assert.deepEqual(again.poll(20_001), []);
  assert.deepEqual(
    again.list.map((x) => x.followedFiles),
    [2, 0, 0],
  );
  again.close();
});
