import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgentModule, AgentModuleContext, EmitOutcome, NewEvent, SourceSpool } from '@bulwark/protocol';
import { createLogInspectAgentFactory } from './index.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'loginspect-resilience-')));
after(() => rmSync(root, { recursive: true, force: true }));
const scratch = () => mkdtempSync(join(root, 'x-'));
const factory = createLogInspectAgentFactory({ readRoots: [root] });
const poll = (m: AgentModule) => (m as unknown as { poll(): void }).poll();
const seqs = (events: NewEvent[]) => events.map((e) => /seq=(\S+)/.exec(String(e.details?.fullLog))?.[1]);

/** A spool that holds its checkpoints in memory and refuses every event while `full` is set. */
class FakeSpool implements SourceSpool {
  full = false;
  /** Refuses too once it holds this many events. */
  limit = Number.POSITIVE_INFINITY;
  readonly events: NewEvent[] = [];
  readonly stored = new Map<string, string>();
  checkpoints(): ReadonlyMap<string, string> {
    return new Map(this.stored);
  }
  emit(event: NewEvent, checkpoints: readonly { key: string; value: string | null }[]): EmitOutcome {
    if (this.full || this.events.length >= this.limit) return { kind: 'full', reason: 'database or disk is full' };
    this.events.push(event);
    this.advance(checkpoints);
    return { kind: 'spooled', seq: this.events.length };
  }
  advance(checkpoints: readonly { key: string; value: string | null }[]): void {
    for (const c of checkpoints) {
      if (c.value === null) this.stored.delete(c.key);
      else this.stored.set(c.key, c.value);
    }
  }
}

function context(spool: FakeSpool | undefined, events: NewEvent[] = []): AgentModuleContext {
  const dataDir = scratch();
  return {
    dataDir,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    emit: (e) => events.push(e),
    reportInventory: () => {},
    writeStateFile: (name, content) => writeFileSync(join(dataDir, name), content),
    ...(spool ? { sourceSpool: spool } : {}),
  };
}

const everySeq = {
  id: 'seq',
  decodersXml: '',
  rulesXml:
    '<group name="test,"><rule id="110100" level="7"><match>seq=</match><description>sequence line</description></rule></group>',
};
const configuration = (files: string[], minimumLevel: unknown = 5) => ({
  enabled: true,
  configuration: {
    minimumLevel,
    sources: { files, journald: false },
    builtInGroups: [],
    custom: [everySeq],
    rejectedRules: [],
  },
});

test('a rejected configuration leaves the previous one running, and the status says so', async () => {
  const log = join(scratch(), 'app.log');
  writeFileSync(log, '');
  const events: NewEvent[] = [];
  const m = factory.create(context(undefined, events));
  await m.apply(configuration([log]), {} as never);
  appendFileSync(log, 'seq=1\n');
  poll(m);
  await m.apply(configuration([log], 'high'), {} as never);
  assert.equal(m.status().state, 'on');
  assert.match(m.status().reason ?? '', /^configuration rejected, the previous one stays in force: .*minimumLevel/);
  appendFileSync(log, 'seq=2\n');
  poll(m);
  assert.deepEqual(seqs(events), ['1', '2'], 'log inspection went on');
  await m.apply(configuration([log]), {} as never);
  assert.equal(m.status().reason, undefined, 'a good configuration clears the rejection');
  await m.stop();
  // With nothing running before, a bad configuration is an error.
  const fresh = factory.create(context(undefined));
  await fresh.apply(configuration([log], 'high'), {} as never);
  assert.equal(fresh.status().state, 'error');
});

test('a full spool keeps the record back: read again when there is room, its event sent once, the engine sees it once', async () => {
  const log = join(scratch(), 'app.log');
  writeFileSync(log, '');
  const spool = new FakeSpool();
  const m = factory.create(context(spool));
  await m.apply(configuration([log]), {} as never);
  appendFileSync(log, 'seq=1\nseq=2\n');
  poll(m);
  spool.full = true;
  appendFileSync(log, 'seq=3\nseq=4\n');
  poll(m);
  poll(m);
  assert.deepEqual(seqs(spool.events), ['1', '2']);
  assert.equal(m.status().counters?.lines, 3, 'seq=3 was inspected once, seq=4 not yet');
  assert.equal(m.status().counters?.recordsKeptBack, 2);
  assert.match(m.status().reason ?? '', /waiting: database or disk is full/);
  const [position] = [...spool.stored.values()].map((v) => JSON.parse(v) as { offset: number });
  assert.equal(position?.offset, Buffer.byteLength('seq=1\nseq=2\n'), 'the position stays before the record kept back');
  spool.full = false;
  poll(m);
  assert.deepEqual(seqs(spool.events), ['1', '2', '3', '4']);
  assert.equal(m.status().counters?.lines, 4);
  assert.equal(m.status().reason, undefined);
  await m.stop();
  // A restart continues from the positions in the spool: nothing again, nothing skipped.
  appendFileSync(log, 'seq=5\n');
  const again = factory.create(context(spool));
  await again.apply(configuration([log]), {} as never);
  poll(again);
  await again.stop();
  assert.deepEqual(seqs(spool.events), ['1', '2', '3', '4', '5']);
});

test('the journal waits too: journalctl is started again after the last entry stored, nothing skipped or doubled', async () => {
  const dir = scratch();
  const entry = (i: number) =>
    JSON.stringify({ __CURSOR: `s=1;i=${i}`, _HOSTNAME: 'web', SYSLOG_IDENTIFIER: 'app', MESSAGE: `seq=j${i}` });
  const script = join(dir, 'journalctl');
  writeFileSync(
    script,
    `#!/bin/sh
echo "$@" >> ${JSON.stringify(join(dir, 'calls'))}
case "$*" in
  *--after-cursor=s=1\\;i=1*) printf '%s\\n' '${entry(2)}' '${entry(3)}' ;;
  *) printf '%s\\n' '${entry(1)}' '${entry(2)}' '${entry(3)}' ;;
esac
exec sleep 1000
`,
    { mode: 0o755 },
  );
  const spool = new FakeSpool();
  spool.limit = 1; // takes the first entry, then refuses
  const m = createLogInspectAgentFactory({ journalctl: script }).create(context(spool));
  await m.apply(
    {
      enabled: true,
      configuration: {
        minimumLevel: 5,
        sources: { files: [], journald: true, journalStart: 'boot' },
        builtInGroups: [],
        custom: [everySeq],
        rejectedRules: [],
      },
    },
    {} as never,
  );
  await until(() => /waiting: the event spool cannot store/.test(m.status().reason ?? ''));
  assert.deepEqual(seqs(spool.events), ['j1']);
  assert.equal(spool.stored.get('journal'), 's=1;i=1', 'the position stays after the last entry stored');
  spool.limit = Number.POSITIVE_INFINITY;
  await until(() => spool.events.length === 3);
  assert.deepEqual(seqs(spool.events), ['j1', 'j2', 'j3']);
  await m.stop();
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  assert.equal(calls[0], '--output=json --follow --all --no-pager --boot --lines=all');
  assert.ok(
    calls.slice(1).every((c) => c === '--output=json --follow --all --no-pager --after-cursor=s=1;i=1 --lines=all'),
    calls.join('\n'),
  );
});

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
