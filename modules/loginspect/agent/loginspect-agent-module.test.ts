import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AgentModuleContext, NewEvent } from '@bulwark/protocol';
import { loginspectAgentFactory } from './index.js';

function context(events: NewEvent[]): AgentModuleContext {
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  return { dataDir: tmpdir(), log, emit: (e) => events.push(e), reportInventory: () => {} };
}

test('follows a real log file: only new lines, rotation, minimum level and enabled groups', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loginspect-'));
  try {
    const auth = join(dir, 'auth.log');
    writeFileSync(auth, 'Nov 18 12:00:00 web sshd[1]: Failed password for old from 203.0.113.1 port 1 ssh2\n');
    const events: NewEvent[] = [];
    const m = loginspectAgentFactory.create(context(events));
    const configuration = {
      minimumLevel: 5,
      sources: { files: [join(dir, '*.log')], journald: false },
      builtInGroups: ['sshd'],
      custom: [],
      rejectedRules: [],
    };
    await m.apply({ enabled: true, configuration }, {} as never);
    assert.equal(m.status().state, 'on');
    appendFileSync(auth, 'Nov 18 12:00:01 web sshd[1]: Failed password for alice from 203.0.113.7 port 2 ssh2\n');
    appendFileSync(auth, 'Nov 18 12:00:01 web sshd[1]: Accepted publickey for bob from 192.0.2.1 port 3 ssh2\n');
    appendFileSync(auth, 'Nov 18 12:00:01 web sudo:   bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash\n');
    appendFileSync(auth, 'partial line without newline');
    (m as unknown as { poll(): void }).poll();
    assert.deepEqual(
      events.map((e) => e.ruleId),
      ['100101'],
      'history is skipped, level 3 is below the minimum, sudo is not enabled',
    );
    assert.equal(events[0]?.severity, 'low');
    assert.match(events[0]?.summary ?? '', /alice from 203\.0\.113\.7/);
    renameSync(auth, `${auth}.1`);
    writeFileSync(auth, 'Nov 18 12:00:02 web sshd[1]: Failed password for carol from 203.0.113.8 port 4 ssh2\n');
    (m as unknown as { poll(): void }).poll();
    assert.equal(events.at(-1)?.ruleId, '100101');
    assert.match(events.at(-1)?.summary ?? '', /carol/);
    await m.stop();
    assert.equal(m.status().state, 'off');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad configuration is an error status, not an exception', async () => {
  const m = loginspectAgentFactory.create(context([]));
  await m.apply({ enabled: true, configuration: { minimumLevel: 'high' } }, {} as never);
  assert.equal(m.status().state, 'error');
  assert.match(m.status().reason ?? '', /configuration/);
});
