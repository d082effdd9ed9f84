import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readWazuhRuleset } from '../conformance/ruleset-files.js';
import { compileRuleset, LogInspectionEngine } from '../engine/index.js';
import type { CommandSourceSettings } from '../engine/log-sources.js';
import { CommandSource, commandLabel, commandLine, fullCommandRecord } from './command-source.js';

const root = mkdtempSync(join(tmpdir(), 'loginspect-command-output-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('OSSEC framing: alias, else the command as written; full output on the lines after the header', () => {
  assert.equal(commandLabel({ name: 'df', argv: ['df', '-P'] }), 'df -P');
  assert.equal(commandLabel({ name: 'n', argv: ['netstat -tulpn | sort'], shell: true }), 'netstat -tulpn | sort');
  assert.equal(
    commandLabel({ name: 'n', argv: ['netstat', '-tulpn'], alias: 'netstat listening ports' }),
    'netstat listening ports',
  );
  assert.equal(commandLine('df -P', '/dev/sda1 10 10 0 100% /'), "ossec: output: 'df -P': /dev/sda1 10 10 0 100% /");
  assert.equal(fullCommandRecord('w', 'a\r\nb\n\n\nc\n'), "ossec: output: 'w':\na\nb\nc");
  assert.equal(fullCommandRecord('w', ''), undefined);
});

/** Runs one command source to its end and returns the records it handed on. */
async function run(settings: CommandSourceSettings): Promise<string[]> {
  const records: string[] = [];
  await new CommandSource(settings, (r) => records.push(r.text)).runOnce();
  return records;
}

const wazuh = fileURLToPath(new URL('../../../../shared/external/wazuh-ruleset', import.meta.url));
const haveWazuh = existsSync(join(wazuh, 'rules', '0015-ossec_rules.xml'));
if (!haveWazuh) console.log(`# skipped the Wazuh ruleset tests: ${wazuh} is not present`);

test('Wazuh rules on command output match what the command source feeds (df -P, full_command, netstat)', {
  skip: haveWazuh ? false : `the Wazuh ruleset is not at ${wazuh}`,
}, async () => {
  const { ruleset, problems } = compileRuleset(readWazuhRuleset(wazuh, { includeTestFiles: false }));
  const engine = new LogInspectionEngine(ruleset, { utcOffsetMinutes: 0 });
  const verdict = (line: string) => {
    const v = engine.process({ line, location: 'command:test', time: Date.UTC(2026, 0, 7, 12) });
    return { decoder: v.decoder, rule: v.rule?.id, level: v.rule?.level, alert: v.alert };
  };

  // `df -P` as OSSEC's default configuration runs it: a fake df on PATH prints a full disk, a
  // snap loop device and a USB stick (both always full, ignored by rules 536 and 532), a normal one.
  const bin = mkdtempSync(join(root, 'bin-'));
  writeFileSync(
    join(bin, 'df'),
    [
      '#!/bin/sh',
      'echo "Filesystem     1024-blocks     Used Available Capacity Mounted on"',
      'echo "/dev/sda1         20509264 20509264         0     100% /"',
      'echo "/dev/loop3           56704    56704         0     100% /snap/core18/2812"',
      'echo "/dev/sdb1          7812864  7812864         0     100% /media/usb0"',
      'echo "/dev/sda2         41022688 18457024  20451560      48% /home"',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'df'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path ?? '/usr/bin:/bin'}`;
  let df: string[];
  try {
    df = await run({ name: 'df', argv: ['df', '-P'] });
  } finally {
    process.env.PATH = path;
  }
  assert.equal(df[1], "ossec: output: 'df -P': /dev/sda1         20509264 20509264         0     100% /");
  assert.deepEqual(
    df.map(verdict),
    [
      { decoder: 'ossec', rule: 530, level: 0, alert: false },
      { decoder: 'ossec', rule: 531, level: 7, alert: true },
      { decoder: 'ossec', rule: 536, level: 0, alert: false },
      { decoder: 'ossec', rule: 532, level: 0, alert: false },
      { decoder: 'ossec', rule: 530, level: 0, alert: false },
    ],
    '531 "Partition usage reached 100%", snap and external media ignored, the rest process monitoring',
  );

  // full_command as Wazuh's puppet rules expect it (80090-80092): the header, then the output.
  const puppet = await run({
    name: 'puppet',
    argv: ['timestamp_puppet=0; echo "Puppet: KO. Last run: Thu Jan  1 00:00:00 UTC 1970"'],
    shell: true,
    output: 'full',
  });
  assert.equal(puppet.length, 1);
  assert.match(puppet[0] ?? '', /^ossec: output: 'timestamp_puppet=0; echo [^\n]*':\nPuppet: KO\. Last run: /);
  assert.deepEqual(verdict(puppet[0] ?? ''), { decoder: 'ossec', rule: 80092, level: 5, alert: true });

  // netstat with OSSEC's alias reaches the process monitoring rules; rule 533 ("listened ports
  // changed") needs <check_diff>, which this engine refuses, so the change itself is not alerted.
  const netstat = await run({
    name: 'netstat',
    alias: 'netstat listening ports',
    argv: ['printf', 'tcp 0.0.0.0 22 0.0.0.0:* 812/sshd\\ntcp 127.0.0.1 5432 0.0.0.0:* 900/postgres\\n'],
    output: 'full',
  });
  assert.equal(
    netstat[0],
    "ossec: output: 'netstat listening ports':\ntcp 0.0.0.0 22 0.0.0.0:* 812/sshd\ntcp 127.0.0.1 5432 0.0.0.0:* 900/postgres",
  );
  assert.deepEqual(verdict(netstat[0] ?? ''), { decoder: 'ossec', rule: 530, level: 0, alert: false });
  assert.ok(
    problems.some(
      (p) => p.file.endsWith('0015-ossec_rules.xml') && /533/.test(p.message) && /check_diff/.test(p.message),
    ),
    'rule 533 is reported as refused for <check_diff>',
  );
});
