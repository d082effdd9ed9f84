// The spool on a real full file system (a small tmpfs): a write may fail at COMMIT, after its
// statements ran, and its counts must still say what is on disk and what the manager has.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EventSpool, readSpoolCounters } from './event-spool.js';
import { fillFileSystem } from './fill-file-system.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root to mount a small tmpfs that can be filled';

let work: string;
let mount: string;

before(() => {
  if (!root) return;
  work = mkdtempSync(join(tmpdir(), 'bulwark-spool-full-'));
  mount = join(work, 'fs');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mount]);
});
after(() => {
  if (!root) return;
  execFileSync('umount', ['-l', mount]);
  rmSync(work, { recursive: true, force: true });
});

const rowsOnDisk = (path: string): number => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('EventSpool on a full disk', { skip }, () => {
  it('an acknowledgement whose commit fails still takes its events out of the count and the uploads; the next commit deletes them', () => {
    const path = join(mount, 'spool.db');
    const spool = EventSpool.open(path);
    try {
      for (let i = 1; i <= 40; i++) spool.emit({ module: 'test', type: 'thing', severity: 'medium', summary: `e${i}` });
      spool.flush();
      const filler = join(mount, 'filler');
      fillFileSystem(filler);
      const first = spool.nextBatch(25);
      assert.equal(first.at(-1)?.seq, 25);
      // The DELETE runs in memory; writing its pages to the write-ahead log at COMMIT finds no room.
      spool.acknowledge(25);
      assert.equal(rowsOnDisk(path), 40, 'the disk refused the delete (otherwise this test proves nothing)');
      assert.equal(spool.counters().pendingEvents, 15, 'the manager has 25 of them: 15 wait to be sent');
      const second = spool.nextBatch(100);
      assert.deepEqual(
        second.map((e) => e.seq),
        Array.from({ length: 15 }, (_, i) => 26 + i),
        'what the manager acknowledged is not sent again',
      );
      spool.acknowledge(40);
      assert.equal(spool.counters().pendingEvents, 0);
      rmSync(filler);
      spool.emit({ module: 'test', type: 'thing', severity: 'medium', summary: 'after' });
      spool.flush();
      assert.equal(rowsOnDisk(path), 1, 'the first commit with room deleted every acknowledged event');
      assert.equal(spool.counters().pendingEvents, 1);
      assert.deepEqual(
        spool.nextBatch(100).map((e) => e.seq),
        [41],
      );
      spool.acknowledge(41);
      assert.equal(spool.counters().pendingEvents, 0);
    } finally {
      spool.close();
    }
    assert.equal(rowsOnDisk(path), 0);
    assert.equal(readSpoolCounters(path)?.pendingEvents, 0);
  });
});
