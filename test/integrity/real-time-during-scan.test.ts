import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanup, eventually, fileRule, harness, temporaryDirectory } from './harness.js';

const pathOf = (e: { details?: Record<string, unknown> }) => (e.details!.entity as { path: string }).path;

/** 20,000 small files in 100 directories, plus one "sensitive" file the test changes. */
function bigTree(): { root: string; shadow: string } {
  const root = temporaryDirectory('big');
  const content = 'x'.repeat(2048);
  for (let d = 0; d < 100; d++) {
    const dir = join(root, `d${d}`);
    mkdirSync(dir);
    for (let f = 0; f < 200; f++) writeFileSync(join(dir, `f${f}`), content);
  }
  mkdirSync(join(root, 'etc'));
  const shadow = join(root, 'etc', 'shadow');
  writeFileSync(shadow, 'root:*:19000:0:99999:7:::\n');
  return { root, shadow };
}

test('a real-time change is reported while a scan of 20,000 files runs, once, and the scan does not undo it', async () => {
  const { root, shadow } = bigTree();
  const h = harness();
  try {
    // Re-hash everything at scans (no metadata shortcut) and one hash worker: a long scan.
    await h.apply([fileRule('big', root)], {
      realTime: true,
      debounceMilliseconds: 50,
      trustUnchangedMetadata: false,
      hashWorkers: 1,
      schedule: 'off',
    });
    assert.equal(h.module.status().state, 'on');

    let scanEndedAt: number | undefined;
    const scansBefore = h.module.status().counters?.scans ?? 0;
    const scanStartedAt = Date.now();
    const scan = h.module.run('scan', {}).then((r) => {
      scanEndedAt = Date.now();
      return r as { durationMs: number; rules: { changes: number }[] };
    });
    // Change the file once the scan runs (it counts itself when it starts its walk), not after a guessed time.
    await eventually('the scan under way', () => (h.module.status().counters?.scans ?? 0) > scansBefore);
    assert.equal(scanEndedAt, undefined, 'the scan ended before the change could be made; the tree is too small');
    const writtenAt = Date.now();
    writeFileSync(shadow, 'root:$6$tampered:19000:0:99999:7:::\n');
    const event = await h.waitFor((e) => e.type === 'updated' && pathOf(e) === shadow, 30_000);
    const reportedAt = Date.now();
    assert.equal(event.details?.source, 'real-time');
    assert.equal(scanEndedAt, undefined, 'the change was reported only after the scan ended');

    const result = await scan;
    const scanMs = scanEndedAt! - scanStartedAt;
    const latencyMs = reportedAt - writtenAt;
    // "Well before the scan ends": the event came within a fraction of the scan's duration.
    assert.ok(latencyMs < scanMs / 2, `latency ${latencyMs} ms during a ${scanMs} ms scan`);
    assert.equal(result.rules[0]!.changes, 0, 'the scan left the path the real-time check handled alone');
    assert.equal(h.changes().filter((e) => pathOf(e) === shadow).length, 1, 'reported once');
    assert.ok((h.module.status().counters?.realTimeChecksDuringScan ?? 0) >= 1);

    // The baseline holds the new content: a later scan is quiet, and so is the next real-time check.
    const again = (await h.module.run('scan', {})) as { rules: { changes: number }[] };
    assert.equal(again.rules[0]!.changes, 0, 'the scan did not write an older observation back');
    assert.equal(h.changes().length, 1);
    console.log(`# real-time latency during a scan: ${latencyMs} ms; scan took ${scanMs} ms`);
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('a change the scan sees before the real-time check is reported once too', async () => {
  const root = temporaryDirectory('race');
  writeFileSync(join(root, 'a'), 'one');
  const h = harness();
  try {
    // A long quiet period: the scan, started right after the write, sees the change first.
    await h.apply([fileRule('race', root)], { realTime: true, debounceMilliseconds: 1000, schedule: 'off' });
    const checksBefore = h.module.status().counters?.realTimeChecks ?? 0;
    writeFileSync(join(root, 'a'), 'two');
    const scan = (await h.module.run('scan', {})) as { rules: { changes: number }[] };
    assert.equal(scan.rules[0]!.changes, 1);
    // The debounced real-time check starts after the quiet period; a scan then waits for a running
    // check to finish, so once it returns the check has found the baseline up to date (or reported).
    await eventually('the real-time check', () => (h.module.status().counters?.realTimeChecks ?? 0) > checksBefore);
    const again = (await h.module.run('scan', {})) as { rules: { changes: number }[] };
    assert.equal(again.rules[0]!.changes, 0);
    const updates = h.changes();
    assert.equal(updates.length, 1);
    assert.equal(updates[0]!.details?.source, 'scan');
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});
