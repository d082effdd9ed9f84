import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { NewEvent } from '@bulwark/protocol';
import { EventSpool } from './event-spool.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function spoolPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-checkpoints-'));
  dirs.push(dir);
  return join(dir, 'spool.db');
}

const event = (n: number): NewEvent => ({ module: 'm', type: 't', severity: 'medium', summary: `line ${n}` });
const at = (value: string) => ({ module: 'm', checkpoints: [{ key: 'file', value }] });

describe('checkpoints in the event spool', () => {
  it('are committed in the same transaction as the events before them: what is on disk always agrees', () => {
    const path = spoolPath();
    const spool = EventSpool.open(path, {}, undefined, { flushDelayMs: 60_000 });
    spool.emit(event(1), at('after 1'));
    spool.emit(event(2), at('after 2'));
    spool.advance('m', [{ key: 'file', value: 'after 3 (no event)' }]);
    spool.flush();
    spool.emit(event(4), at('after 4'));
    spool.advance('m', [{ key: 'journal', value: 'cursor' }]);
    assert.deepEqual(
      [...spool.checkpoints('m')],
      [
        ['file', 'after 4'],
        ['journal', 'cursor'],
      ],
    );
    // What another process finds now is what a crash would leave: event 4 and its position together absent.
    const crashed = EventSpool.open(path);
    assert.deepEqual([...crashed.checkpoints('m')], [['file', 'after 3 (no event)']]);
    assert.deepEqual(
      crashed.nextBatch(10).map((e) => e.summary),
      ['line 1', 'line 2'],
    );
    crashed.release();
    crashed.close();
    spool.close();
    const reopened = EventSpool.open(path);
    assert.deepEqual(
      [...reopened.checkpoints('m')],
      [
        ['file', 'after 4'],
        ['journal', 'cursor'],
      ],
    );
    assert.deepEqual([...reopened.checkpoints('other')], [], 'each module sees its own');
    reopened.advance('m', [{ key: 'journal', value: null }]);
    reopened.close();
    assert.deepEqual([...EventSpool.open(path).checkpoints('m')], [['file', 'after 4']], 'null forgets a key');
  });

  it('a clipped or invalid event still moves its source on', () => {
    const path = spoolPath();
    const spool = EventSpool.open(path, { minimumSeverity: 'high' });
    assert.deepEqual(spool.emit(event(1), at('after 1')), { kind: 'clipped' });
    assert.equal(spool.emit({ ...event(2), module: '' }, at('after 2')).kind, 'invalid');
    spool.close();
    assert.deepEqual([...EventSpool.open(path).checkpoints('m')], [['file', 'after 2']]);
  });
});
