import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgentModule, AgentModuleContext, NewEvent } from '@bulwark/protocol';
import { agentModule, createLogInspectAgentFactory } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'loginspect-module-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function scratch(): string {
  return mkdtempSync(join(root, `${n++}-`));
}

function context(events: NewEvent[], dataDir: string, local: Record<string, string> = {}): AgentModuleContext {
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  // The scratch files are outside /var/log: this host's administrator allowed them.
  const options: Record<string, string> = { 'loginspect.readPaths': root, ...local };
  const localOptions = { source: '/etc/bulwark/agent.conf', get: (key: string) => options[key] };
  const writeStateFile = (name: string, content: string) => writeFileSync(join(dataDir, name), content);
  return { dataDir, log, emit: (e) => events.push(e), reportInventory: () => {}, writeStateFile, localOptions };
}

/** What a host's administrator writes to let the manager's command sources run. */
const commandsAllowed = { 'loginspect.remoteCommands': '1' };

/** A custom rule that raises an event for every line containing `seq=`. */
const everySeq = {
  id: 'seq',
  decodersXml: '',
  rulesXml:
    '<group name="test,"><rule id="110100" level="7"><match>seq=</match><description>sequence line</description></rule></group>',
};

function configuration(sources: Record<string, unknown>) {
  return {
    enabled: true,
    configuration: { minimumLevel: 5, sources, builtInGroups: [], custom: [everySeq], rejectedRules: [] },
  };
}

function poll(m: AgentModule): void {
  (m as unknown as { poll(): void }).poll();
}

const seqs = (events: NewEvent[]) => events.map((e) => /seq=(\S+)/.exec(String(e.details?.fullLog))?.[1]);

test('follows a real log file: only new lines, rotation, minimum level and enabled groups', async () => {
  const dir = scratch();
  const auth = join(dir, 'auth.log');
  writeFileSync(auth, 'Nov 18 12:00:00 web sshd[1]: Failed password for old from 203.0.113.1 port 1 ssh2\n');
  const events: NewEvent[] = [];
  const m = agentModule.create(context(events, scratch()));
  const c = {
    minimumLevel: 5,
    sources: { files: [join(dir, '*.log')], journald: false },
    builtInGroups: ['sshd'],
    custom: [],
    rejectedRules: [],
  };
  await m.apply({ enabled: true, configuration: c }, {} as never);
  assert.equal(m.status().state, 'on');
  appendFileSync(auth, 'Nov 18 12:00:01 web sshd[1]: Failed password for alice from 203.0.113.7 port 2 ssh2\n');
  appendFileSync(auth, 'Nov 18 12:00:01 web sshd[1]: Accepted publickey for bob from 192.0.2.1 port 3 ssh2\n');
  appendFileSync(auth, 'Nov 18 12:00:01 web sudo:   bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash\n');
  appendFileSync(auth, 'partial line without newline');
  poll(m);
  assert.deepEqual(
    events.map((e) => e.ruleId),
    ['100101'],
    'history is skipped, level 3 is below the minimum, sudo is not enabled',
  );
  assert.equal(m.status().counters?.alertsBelowMinimumLevel, 1);
  assert.equal(m.status().counters?.alertsOfUnassignedGroups, 1);
  assert.equal(events[0]?.severity, 'low');
  assert.match(events[0]?.summary ?? '', /alice from 203\.0\.113\.7/);
  assert.equal(events[0]?.details?.programName, 'sshd');
  assert.equal(events[0]?.details?.ruleDescription, events[0]?.summary);
  assert.match(String(events[0]?.details?.fullLog), /^Nov 18 12:00:01 web sshd\[1\]: Failed password for alice/);
  renameSync(auth, `${auth}.1`);
  writeFileSync(auth, 'Nov 18 12:00:02 web sshd[1]: Failed password for carol from 203.0.113.8 port 4 ssh2\n');
  poll(m);
  assert.equal(events.at(-1)?.ruleId, '100101');
  assert.match(events.at(-1)?.summary ?? '', /carol/);
  await m.stop();
  assert.equal(m.status().state, 'off');
});

test('restart: no line lost, none read twice, across a rotation made while the agent was stopped', async () => {
  const dir = scratch();
  const dataDir = scratch();
  const log = join(dir, 'app.log');
  writeFileSync(log, 'seq=history\n');
  const events: NewEvent[] = [];
  const factory = createLogInspectAgentFactory();
  const sources = { files: [log], journald: false };
  const first = factory.create(context(events, dataDir));
  await first.apply(configuration(sources), {} as never);
  appendFileSync(log, 'seq=1\nseq=2\n');
  poll(first);
  appendFileSync(log, 'seq=3\nseq=4 unfinished');
  poll(first);
  await first.stop();
  const saved = JSON.parse(readFileSync(join(dataDir, 'source-checkpoints.json'), 'utf8'));
  assert.equal(saved.files[log][0].offset, Buffer.byteLength('seq=history\nseq=1\nseq=2\nseq=3\n'));
  appendFileSync(log, ' now\nseq=5\n');
  renameSync(log, `${log}.1`);
  writeFileSync(log, 'seq=6\nseq=7\n');
  const second = factory.create(context(events, dataDir));
  await second.apply(configuration(sources), {} as never);
  appendFileSync(log, 'seq=8\n');
  poll(second);
  await second.stop();
  assert.deepEqual(seqs(events), ['1', '2', '3', '4', '5', '6', '7', '8']);
  assert.equal(events[3]?.details?.fullLog, 'seq=4 unfinished now');

  // A crash (no stop): each event went with its position, so nothing is read again.
  const third = factory.create(context(events, dataDir));
  await third.apply(configuration(sources), {} as never);
  appendFileSync(log, 'seq=9\n');
  poll(third);
  appendFileSync(log, 'seq=10\n');
  poll(third);
  const crashed = events.length;
  const fourth = factory.create(context(events, dataDir));
  await fourth.apply(configuration(sources), {} as never);
  await fourth.stop();
  await third.stop();
  assert.deepEqual(seqs(events.slice(8, crashed)), ['9', '10']);
  assert.deepEqual(seqs(events.slice(crashed)), [], 'nothing is read again after a crash');
});

test('the module status lists problem paths (missing, a device, a bad multi-line pattern) with the reason', async () => {
  const dir = scratch();
  writeFileSync(join(dir, 'real.log'), '');
  const m = agentModule.create(context([], scratch()));
  await m.apply(
    configuration({ files: [join(dir, 'missing.log'), '/dev/null', join(dir, 'real.log')], journald: false }),
    {} as never,
  );
  const status = m.status();
  assert.equal(status.state, 'on');
  assert.equal(
    status.reason,
    '2 log source problems: /dev/null: refused: outside where the manager may read; the host allows more with ' +
      `"loginspect.readPaths = DIR" in /etc/bulwark/agent.conf; ${join(dir, 'missing.log')}: missing`,
  );
  assert.equal(status.counters?.filesFollowed, 1);
  assert.equal(status.counters?.sourceProblems, 2);
  await m.stop();
  const bad = agentModule.create(context([], scratch()));
  await bad.apply(
    configuration({
      files: [{ path: join(dir, 'real.log'), multiline: { pattern: '(', match: 'after' } }],
      journald: false,
    }),
    {} as never,
  );
  assert.match(bad.status().reason ?? '', /real\.log: not followed: Invalid regular expression/);
  await bad.stop();
});

/** A fake journalctl: prints entries after the cursor it is given, then waits like --follow. */
function fakeJournalctl(dir: string): string {
  const entries = [
    {
      __CURSOR: 's=1;i=1',
      __REALTIME_TIMESTAMP: '1764700000000000',
      _HOSTNAME: 'web',
      SYSLOG_IDENTIFIER: 'sshd',
      _PID: '41',
      _SYSTEMD_UNIT: 'ssh.service',
      MESSAGE: 'seq=j1 Failed password',
    },
    {
      __CURSOR: 's=1;i=2',
      __REALTIME_TIMESTAMP: '1764700001000000',
      _HOSTNAME: 'web',
      _COMM: 'app',
      MESSAGE: [...Buffer.from('seq=j2 \x1b[31mred\x1b[0m')],
    },
    { __CURSOR: 's=1;i=3', _HOSTNAME: 'web', SYSLOG_IDENTIFIER: 'cron', MESSAGE: null },
    {
      __CURSOR: 's=1;i=4',
      __REALTIME_TIMESTAMP: '1764700003000000',
      _HOSTNAME: 'web',
      SYSLOG_IDENTIFIER: 'x',
      _SYSTEMD_UNIT: 'x.service',
      MESSAGE: 'seq=j4',
    },
  ];
  const lines = entries.map((e) => JSON.stringify(e));
  const script = join(dir, 'journalctl');
  writeFileSync(
    script,
    `#!/bin/sh
echo "$@" >> ${JSON.stringify(join(dir, 'calls'))}
case "$*" in
  *--after-cursor=s=1\\;i=3*) printf '%s\\n' '${lines[3]}' ;;
  *--after-cursor=*) echo "Failed to seek to cursor" >&2; exit 1 ;;
  *) printf '%s\\n' '${lines[0]}' '${lines[1]}' '${lines[2]}' ;;
esac
exec sleep 1000
`,
  );
  chmodSync(script, 0o755);
  return script;
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('journal (fake journalctl): JSON entries mapped, byte-array MESSAGE, unit as location, cursor kept across a restart', async () => {
  const dir = scratch();
  const dataDir = scratch();
  const factory = createLogInspectAgentFactory({ journalctl: fakeJournalctl(dir) });
  const events: NewEvent[] = [];
  const sources = { files: [], journald: true, journalStart: 'boot' };
  const first = factory.create(context(events, dataDir));
  await first.apply(configuration(sources), {} as never);
  await until(() => events.length === 2);
  assert.equal(first.status().counters?.journalEntries, 2);
  await first.stop();
  assert.deepEqual(seqs(events), ['j1', 'j2']);
  assert.equal(events[0]?.details?.location, 'ssh.service');
  assert.equal(events[0]?.details?.unit, 'ssh.service');
  assert.equal(events[0]?.details?.programName, 'sshd');
  assert.equal(events[0]?.details?.hostname, 'web');
  assert.equal(events[0]?.time, new Date(1_764_700_000_000).toISOString());
  assert.equal(events[0]?.details?.fullLog, '2025-12-02T18:26:40.000Z web sshd[41]: seq=j1 Failed password');
  assert.equal(events[1]?.details?.location, 'journald');
  assert.equal(events[1]?.details?.programName, 'app');
  assert.ok(String(events[1]?.details?.fullLog).endsWith('seq=j2 \x1b[31mred\x1b[0m'), 'byte-array MESSAGE decoded');
  const saved = JSON.parse(readFileSync(join(dataDir, 'source-checkpoints.json'), 'utf8'));
  assert.equal(saved.journalCursor, 's=1;i=3', 'the entry without a message moved the cursor too');

  const second = factory.create(context(events, dataDir));
  await second.apply(configuration(sources), {} as never);
  await until(() => events.length === 3);
  await second.stop();
  assert.deepEqual(seqs(events), ['j1', 'j2', 'j4']);
  assert.equal(events[2]?.details?.location, 'x.service');
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  assert.deepEqual(calls, [
    '--output=json --follow --all --no-pager --boot --lines=all',
    '--output=json --follow --all --no-pager --after-cursor=s=1;i=3 --lines=all',
  ]);
});

test('command sources: argv without a shell, lines or whole output as OSSEC feeds them, location command:<name>, timeout reported', async () => {
  const events: NewEvent[] = [];
  const m = agentModule.create(context(events, scratch(), commandsAllowed));
  await m.apply(
    configuration({
      files: [],
      journald: false,
      commands: [
        { name: 'lines', argv: ['printf', 'seq=c1 $HOME\\n\\nseq=c2\\n'] },
        { name: 'whole', argv: ['echo "seq=w1"; echo; echo; echo "seq=w2 more"'], shell: true, output: 'full' },
        { name: 'aliased', alias: 'my check', argv: ['echo', 'seq=a1'] },
        { name: 'slow', argv: ['sleep', '30'], timeoutSeconds: 1 },
        { name: 'absent', argv: ['/nonexistent/tool'] },
      ],
    }),
    {} as never,
  );
  await until(() => /timeout/.test(m.status().reason ?? ''));
  const byLocation = events.map((e) => `${e.details?.location} ${e.details?.fullLog}`).sort();
  assert.deepEqual(byLocation, [
    "command:aliased ossec: output: 'my check': seq=a1",
    "command:lines ossec: output: 'printf seq=c1 $HOME\\n\\nseq=c2\\n': seq=c1 $HOME",
    "command:lines ossec: output: 'printf seq=c1 $HOME\\n\\nseq=c2\\n': seq=c2",
    `command:whole ossec: output: 'echo "seq=w1"; echo; echo; echo "seq=w2 more"':\nseq=w1\nseq=w2 more`,
  ]);
  assert.match(m.status().reason ?? '', /command:slow: killed after the 1 s timeout/);
  assert.match(m.status().reason ?? '', /command:absent: \/nonexistent\/tool not found/);
  assert.equal(m.status().counters?.commandRuns, 5);
  await m.stop();
});

test('a bad configuration is an error status, not an exception', async () => {
  const m = agentModule.create(context([], scratch()));
  await m.apply({ enabled: true, configuration: { minimumLevel: 'high' } }, {} as never);
  assert.equal(m.status().state, 'error');
  assert.match(m.status().reason ?? '', /configuration/);
});

test('command sources run only when the host allowed them locally; otherwise the status says how', async () => {
  const marker = join(scratch(), 'ran');
  const sources = {
    files: [],
    journald: false,
    commands: [
      { name: 'touch', argv: ['touch', marker] },
      { name: 'df', argv: ['echo', 'seq=d1'] },
    ],
  };
  for (const local of [{}, { 'loginspect.remoteCommands': '0' }] as Record<string, string>[]) {
    const events: NewEvent[] = [];
    const m = agentModule.create(context(events, scratch(), local));
    await m.apply(configuration(sources), {} as never);
    // Command sources are spawned, and their runs counted, within apply: no run counted by now
    // means none can come later, so no wait is needed before looking for the marker.
    assert.equal(m.status().counters?.commandRuns, undefined, 'no command started');
    assert.equal(existsSync(marker), false, 'the command was not run');
    assert.deepEqual(events, []);
    assert.equal(m.status().state, 'on');
    assert.equal(
      m.status().reason,
      '1 log source problem: commands: 2 command sources (touch, df) not run: this host does not allow commands ' +
        'from the manager; to allow them, add the line "loginspect.remoteCommands = 1" to /etc/bulwark/agent.conf ' +
        '(owned by root, not writable by others) and restart the agent',
    );
    assert.equal(m.status().counters?.commandRuns, undefined);
    await m.stop();
  }
  // Without any local options in the context (an agent that has none) nothing is allowed either.
  const bare = agentModule.create({ ...context([], scratch()), localOptions: undefined });
  await bare.apply(configuration(sources), {} as never);
  assert.match(bare.status().reason ?? '', /not run: this host does not allow commands from the manager/);
  await bare.stop();
  assert.equal(existsSync(marker), false);

  const events: NewEvent[] = [];
  const m = agentModule.create(context(events, scratch(), { 'loginspect.remoteCommands': 'yes' }));
  await m.apply(configuration(sources), {} as never);
  await until(() => existsSync(marker) && events.length === 1);
  assert.equal(events[0]?.details?.fullLog, "ossec: output: 'echo seq=d1': seq=d1");
  assert.equal(m.status().reason, undefined);
  await m.stop();
});

test('a file listed twice (a path and a glob) raises one event per line; a rewritten entry keeps its checkpoints', async () => {
  const dir = scratch();
  const log = join(dir, 'app.log');
  writeFileSync(log, 'seq=history\n');
  const data = scratch();
  const events: NewEvent[] = [];
  const first = agentModule.create(context(events, data));
  await first.apply(configuration({ files: [log, join(dir, '*.log')], journald: false }), {} as never);
  appendFileSync(log, 'seq=1\nseq=2\n');
  poll(first);
  assert.deepEqual(seqs(events), ['1', '2']);
  assert.equal(first.status().counters?.filesFollowed, 1);
  await first.stop();
  appendFileSync(log, 'seq=3\n');
  // Restarted with the entries rewritten: neither the path nor the glob is listed as before.
  const second = agentModule.create(context(events, data));
  await second.apply(configuration({ files: [join(dir, 'app.*')], journald: false }), {} as never);
  poll(second);
  assert.deepEqual(seqs(events), ['1', '2', '3']);
  await second.stop();
});
