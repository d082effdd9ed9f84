import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { fieldText, parseJournalLine } from './journal-entry.js';
import { JournalSource } from './journal-source.js';

test('any input line parses to a record, a cursor-only entry or a reason, never an exception', () => {
  const field = fc.oneof(
    fc.string(),
    fc.array(fc.integer({ min: -5, max: 300 }), { maxLength: 40 }),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.constant(null),
    fc.double(),
  );
  const entry = fc.record(
    {
      __CURSOR: field,
      MESSAGE: field,
      _PID: field,
      SYSLOG_IDENTIFIER: field,
      _HOSTNAME: field,
      __REALTIME_TIMESTAMP: field,
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(
      fc.oneof(
        entry.map((e) => JSON.stringify(e)),
        fc.string(),
      ),
      (line) => {
        const parsed = parseJournalLine(line, 0);
        if (!parsed.ok) return;
        assert.ok(parsed.cursor.length > 0);
        if (parsed.record) {
          assert.ok(!/\n/.test(parsed.record.line.slice(0, parsed.record.line.indexOf(': '))), 'header is one line');
          assert.ok(Number.isFinite(parsed.record.time));
        }
      },
    ),
  );
});

test('fields: strings, byte arrays (invalid UTF-8 replaced), repeated fields, null for too large', () => {
  assert.equal(fieldText('a'), 'a');
  assert.equal(fieldText([104, 105, 0xff]), 'hi\ufffd');
  assert.equal(fieldText(['first', 'second']), 'first');
  assert.equal(fieldText([[104, 105], 'x']), 'hi');
  assert.equal(fieldText(null), undefined);
  const parsed = parseJournalLine(
    JSON.stringify({ __CURSOR: 'c', MESSAGE: 'm', SYSLOG_IDENTIFIER: 'my prog', SYSLOG_PID: '7', _PID: '8' }),
    Date.UTC(2026, 0, 1),
  );
  assert.ok(parsed.ok && parsed.record);
  assert.equal(parsed.record.line, '2026-01-01T00:00:00.000Z localhost my_prog[7]: m');
});

test('journalctl refusing a saved cursor is reported and restarted from the configured start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loginspect-journal-'));
  try {
    const script = join(dir, 'journalctl');
    writeFileSync(
      script,
      `#!/bin/sh
echo "$@" >> ${JSON.stringify(join(dir, 'calls'))}
case "$*" in *--after-cursor=*) echo "Failed to seek to cursor: Invalid argument" >&2; exit 1 ;; esac
printf '%s\\n' '{"__CURSOR":"new","MESSAGE":"hello"}'
exec sleep 1000
`,
    );
    chmodSync(script, 0o755);
    const records: string[] = [];
    const source = new JournalSource({
      command: script,
      start: 'now',
      cursor: 'vacuumed',
      // Longer than the 5 ms poll below: the poll timer always comes due before the restart timer,
      // so the problem is seen before the restarted journalctl's output clears it (timer order, not luck).
      restartDelayMs: 50,
      onRecord: (r) => records.push(r.line),
    });
    source.start();
    const deadline = Date.now() + 5000;
    let sawProblem = '';
    while (records.length === 0 && Date.now() < deadline) {
      sawProblem ||= source.problem?.reason ?? '';
      await new Promise((r) => setTimeout(r, 5));
    }
    await source.stop();
    assert.equal(records.length, 1);
    assert.equal(source.cursor, 'new');
    assert.equal(source.problem, undefined, 'cleared once entries flow again');
    assert.match(sawProblem, /journalctl ended \(exit code 1\): Failed to seek to cursor/);
    assert.deepEqual(readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n'), [
      '--output=json --follow --all --no-pager --after-cursor=vacuumed --lines=all',
      '--output=json --follow --all --no-pager --lines=0',
    ]);
    const missing = new JournalSource({
      command: join(dir, 'none'),
      start: 'now',
      cursor: undefined,
      onRecord: () => {},
    });
    missing.start();
    while (!missing.problem && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await missing.stop();
    assert.match(missing.problem?.reason ?? '', /not found: the journal cannot be read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
