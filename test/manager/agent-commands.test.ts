import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activateFakeAgent, bearer, call, type Role, startTestManager, type TestManager } from './manager-harness.js';
import { activateAndRunAgent, eventually, policyWithOnly, SYSTEM } from './real-agent-process.js';

// The real manager and the real bulwark-agent process, with integrity monitoring watching a
// temporary directory only: commands created through the API reach the agent through the wake
// channel and the heartbeat answer, and their outcomes, the events and the baseline copy come back.

const cliBin = new URL('../../packages/platform-manager/bin/bulwark.js', import.meta.url).pathname;

describe('commands to a real agent: scan-integrity, rebuild-baseline, the baseline copy', () => {
  let t: TestManager;
  let agentDir: string;
  let watched: string;
  let agent: ChildProcess | null = null;
  let agentOutput = () => '';
  let computerId = '';

  const api = (path: string, role: Role, body?: unknown) =>
    call(`${t.manager.consoleUrl}${path}`, {
      ...(body === undefined ? {} : { method: 'POST', body }),
      headers: bearer(t.keys[role]),
      ca: t.manager.caCertPem,
    });
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [cliBin, ...args],
        {
          env: {
            PATH: process.env.PATH ?? '',
            BULWARK_MANAGER: t.manager.consoleUrl,
            BULWARK_API_KEY: t.keys.operator,
            BULWARK_CA: join(t.dataDir, 'pki', 'ca.crt'),
          },
          timeout: 120_000,
        },
        (error, stdout, stderr) =>
          done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  const baseline = (query = '') => api(`/api/computers/${computerId}/integrity/baseline${query}`, 'auditor');

  before(async () => {
    t = await startTestManager();
    agentDir = await mkdtemp(join(tmpdir(), 'bulwark-agent-commands-'));
    watched = await mkdtemp(join(tmpdir(), 'bulwark-watched-'));
    await writeFile(join(watched, 'app.conf'), 'port = 80\n');
    await writeFile(join(watched, 'users.list'), 'alice\n');

    const { services } = t.manager;
    const target = await policyWithOnly(t, 'integrity', 'Integrity of one temporary directory');
    for (const [key, value] of [
      ['integrity.enabled', true],
      ['integrity.realTime', false],
      ['integrity.schedule', 'off'],
      ['integrity.hashWorkers', 1],
    ] as const) {
      const set = await services.settings.set(target, key, value, SYSTEM);
      assert.ok(set.ok, `${key}: ${set.ok ? '' : set.error.message}`);
    }
    const rule = await services.rules.createCustom(
      'integrity',
      {
        id: 'test-watched',
        name: 'Watched test directory',
        description: 'e2e',
        severity: 'high',
        entity: { kind: 'files', base: watched },
      },
      SYSTEM,
    );
    assert.ok(rule.ok, rule.ok ? '' : rule.error.message);
    assert.ok((await services.rules.assign(target, 'integrity', ['test-watched'], SYSTEM)).ok);
    const started = await activateAndRunAgent(t, target.id, agentDir);
    computerId = started.computerId;
    agent = started.process;
    agentOutput = started.output;
  });
  after(async () => {
    agent?.kill('SIGKILL');
    await t?.close();
    await rm(agentDir, { recursive: true, force: true });
    await rm(watched, { recursive: true, force: true });
  });

  test('the first baseline reaches the manager; scan-integrity runs on the agent and its event arrives', async () => {
    const copy = await eventually(
      () => baseline(),
      (a) => a.status === 200 && a.json.rules.some((r: { ruleId: string }) => r.ruleId === 'test-watched'),
      90_000,
      `the baseline copy arriving (agent output:\n${agentOutput().slice(-3000)})`,
    );
    const rule = copy.json.rules.find((r: { ruleId: string }) => r.ruleId === 'test-watched');
    // The directory itself and its two files.
    assert.equal(rule.entries, 3);
    assert.equal(rule.truncated, false);
    const entries = await baseline('?rule=test-watched');
    assert.equal(entries.status, 200, entries.text);
    const keys = entries.json.items.map((e: { key: string }) => e.key).sort();
    assert.deepEqual(keys, [watched, join(watched, 'app.conf'), join(watched, 'users.list')]);
    const conf = entries.json.items.find((e: { key: string }) => e.key.endsWith('app.conf'));
    assert.equal(conf.attributes.size, 10);
    assert.match(conf.attributes.sha256, /^[0-9a-f]{64}$/);
    // The generic snapshot route answers the same as the module's alias; a module with none is a 404.
    const generic = await api(`/api/computers/${computerId}/modules/integrity/snapshots?rule=test-watched`, 'auditor');
    assert.deepEqual(generic.json, entries.json);
    const none = await api(`/api/computers/${computerId}/modules/firewall/snapshots`, 'auditor');
    assert.equal(none.status, 404, none.text);
    assert.match(none.json.detail, /module firewall keeps no snapshots/);

    // Role and validation checks at the edge.
    assert.equal(
      (await api(`/api/computers/${computerId}/commands`, 'auditor', { module: 'integrity', command: 'scan' })).status,
      403,
    );
    const unknown = await api(`/api/computers/${computerId}/commands`, 'operator', {
      module: 'nosuch',
      command: 'scan',
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.detail, /unknown module "nosuch"/);
    // The integrity module declares its commands: a typo or a stray argument never reaches the agent.
    const typo = await api(`/api/computers/${computerId}/commands`, 'operator', {
      module: 'integrity',
      command: 'scna',
    });
    assert.equal(typo.status, 400);
    assert.match(typo.json.detail, /no command "scna"; its commands: scan, rebuild-baseline, export-baseline/);
    const stray = await api(`/api/computers/${computerId}/commands`, 'operator', {
      module: 'integrity',
      command: 'scan',
      arguments: { rule: 'test-watched' },
    });
    assert.equal(stray.status, 400, stray.text);

    await writeFile(join(watched, 'app.conf'), 'port = 8080\n');
    const created = await api(`/api/computers/${computerId}/commands`, 'operator', {
      module: 'integrity',
      command: 'scan',
      arguments: { ruleId: 'test-watched' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.status, 'queued');
    // Heartbeats are every 60 s: only the wake channel brings the command this quickly.
    const done = await eventually(
      () => api(`/api/computers/${computerId}/commands/${created.json.id}`, 'auditor'),
      (a) => a.json?.status === 'succeeded' || a.json?.status === 'failed',
      45_000,
      `the scan finishing (agent output:\n${agentOutput().slice(-3000)})`,
    );
    assert.equal(done.json.status, 'succeeded', done.json.message);
    assert.equal(done.json.result.rules[0].ruleId, 'test-watched');
    assert.equal(done.json.result.rules[0].changes, 1);
    assert.ok(done.json.sentAt !== null && done.json.finishedAt !== null);

    const events = await eventually(
      () => api(`/api/events?computerId=${computerId}&module=integrity&type=updated`, 'auditor'),
      (a) => a.status === 200 && a.json.items.length > 0,
      30_000,
      'the change event arriving',
    );
    const event = events.json.items[0];
    assert.equal(event.ruleId, 'test-watched');
    assert.equal(event.details.entity.path, join(watched, 'app.conf'));

    const list = await api(`/api/computers/${computerId}/commands`, 'auditor');
    assert.equal(list.json.items[0].id, created.json.id);
    const audit = await api(`/api/audit-log?targetKind=computer&targetId=${computerId}`, 'auditor');
    assert.ok(audit.json.items.some((r: { action: string }) => r.action === 'computer.command'));
  });

  test('bulwark computers rebuild-baseline --wait, then the new baseline through the API and the CLI', async () => {
    const before = (await baseline()).json.rules[0];
    await writeFile(join(watched, 'new-file'), 'fresh\n');
    const rebuilt = await cli(['computers', 'rebuild-baseline', computerId, '--wait', '--json']);
    assert.equal(rebuilt.code, 0, `${rebuilt.stderr}\n${agentOutput().slice(-3000)}`);
    assert.match(rebuilt.stderr, /integrity rebuild-baseline: (queued|sent)/);
    assert.match(rebuilt.stderr, /succeeded after \d+ s/);
    assert.equal(JSON.parse(rebuilt.stdout).status, 'succeeded');

    const copy = await eventually(
      () => baseline(),
      (a) => a.json.rules[0]?.version !== before.version,
      30_000,
      'the rebuilt baseline reaching the manager',
    );
    assert.equal(copy.json.rules[0].entries, 4);
    const shown = await cli(['computers', 'baseline', computerId, '--rule', 'test-watched', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const keys = (JSON.parse(shown.stdout) as { items: { key: string }[] }).items.map((e) => e.key);
    assert.ok(keys.includes(join(watched, 'new-file')), keys.join(', '));

    const failed = await cli([
      'computers',
      'command',
      computerId,
      '--module',
      'integrity',
      '--command',
      'scan',
      '--args',
      '{"ruleId":"nope"}',
      '--wait',
    ]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /integrity scan failed: .*no integrity rule "nope" is assigned/);
  });

  test("an agent cannot report another computer's command, nor send a snapshot page past the bound", async () => {
    const other = await activateFakeAgent(t.manager, 'other-agent');
    const commands = await api(`/api/computers/${computerId}/commands`, 'auditor');
    const someone = commands.json.items[0].id as string;
    const held = commands.json.items[0].status as string;
    const report = await call(`${t.manager.agentUrl}/agent/v1/commands/${someone}/outcome`, {
      body: { status: 'failed', message: 'not mine' },
      ...other.tls,
    });
    assert.equal(report.status, 404, report.text);
    const after = (await api(`/api/computers/${computerId}/commands/${someone}`, 'auditor')).json;
    assert.equal(after.status, held);
    assert.notEqual(after.message, 'not mine');

    const page = await call(`${t.manager.agentUrl}/agent/v1/snapshots/page`, {
      body: { module: 'integrity', name: 'x', version: 'v', total: 1, offset: 10_001, entries: [], final: true },
      ...other.tls,
    });
    assert.equal(page.status, 400, page.text);
  });
});
