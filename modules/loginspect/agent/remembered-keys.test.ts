import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { AgentModule, AgentModuleContext, NewEvent } from '@bulwark/protocol';
import { createLogInspectAgentFactory } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'loginspect-fts-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const scratch = (): string => mkdtempSync(join(root, `${n++}-`));

function context(events: NewEvent[], dataDir: string): AgentModuleContext {
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  // The host allows reading the test's scratch folder (files outside /var/log need its opt-in).
  const localOptions = {
    source: '/etc/bulwark/agent.conf',
    get: (key: string) => (key === 'loginspect.readPaths' ? root : undefined),
  };
  // Written as the agent writes them (atomic replace).
  const writeStateFile = moduleStateFileWriter(dataDir);
  return { dataDir, log, emit: (e) => events.push(e), reportInventory: () => {}, writeStateFile, localOptions };
}

/** A decoder with `<fts>` and a first-time-seen rule, written for this test. */
const firstLogin = {
  id: 'first-login',
  decodersXml:
    '<decoder name="vault"><prematch>^vault login </prematch><regex>^vault login user=(\\S+)</regex><order>user</order><fts>name, user</fts></decoder>',
  rulesXml:
    '<group name="test,"><rule id="110200" level="7"><decoded_as>vault</decoded_as><if_fts /><description>first login of $(user)</description></rule></group>',
};

function configuration(files: string[], custom: unknown[]) {
  return {
    enabled: true,
    configuration: {
      minimumLevel: 5,
      sources: { files, journald: false },
      builtInGroups: [],
      custom,
      rejectedRules: [],
    },
  };
}

function poll(m: AgentModule): void {
  (m as unknown as { poll(): void }).poll();
}

test('if_fts: the first-time-seen list outlives a restart through the module state file', async () => {
  const dir = scratch();
  const dataDir = scratch();
  const log = join(dir, 'vault.log');
  writeFileSync(log, '');
  const events: NewEvent[] = [];
  const factory = createLogInspectAgentFactory();
  const first = factory.create(context(events, dataDir));
  await first.apply(configuration([log], [firstLogin]), {} as never);
  appendFileSync(log, 'vault login user=ann\nvault login user=ann\n');
  poll(first);
  await first.stop();
  assert.equal(events.length, 1);
  const second = factory.create(context(events, dataDir));
  await second.apply(configuration([log], [firstLogin]), {} as never);
  appendFileSync(log, 'vault login user=ann\nvault login user=bob\n');
  poll(second);
  await second.stop();
  assert.deepEqual(
    events.map((e) => /user=(\S+)/.exec(String(e.details?.fullLog))?.[1]),
    ['ann', 'bob'],
    'ann is not new after the restart',
  );
});

test('refused rules and decoders are counted in the status, which says so; a damaged state file is reported', async () => {
  const dataDir = scratch();
  writeFileSync(join(dataDir, 'first-time-seen.json'), '{"version":1,"entries":"not a list"}');
  const broken = {
    id: 'broken',
    decodersXml: '<decoder name="odd"><program_name>^odd</program_name><magic/></decoder>',
    rulesXml:
      '<group name="test,"><rule id="110300" level="7"><match>x</match><tcp_wrapper>yes</tcp_wrapper><description>d</description></rule></group>',
  };
  const m = createLogInspectAgentFactory().create(context([], dataDir));
  await m.apply(configuration([], [broken]), {} as never);
  const status = m.status();
  await m.stop();
  assert.equal(status.counters?.rulesRefused, 1);
  assert.equal(status.counters?.decodersRefused, 1);
  assert.match(status.reason ?? '', /1 rules and 1 decoders refused/);
  assert.match(status.reason ?? '', /first-time-seen\.json/);
});

/** An IDS-like decoder and OSSEC's ignore pattern: after 3 events from one source, that source is quiet. */
const quietAfterThree = {
  id: 'quiet',
  decodersXml:
    '<decoder name="nids"><prematch>^nids alert </prematch><regex>^nids alert sig=(\\d+) src=(\\S+)</regex><order>id, srcip</order></decoder>',
  rulesXml:
    '<group name="test,"><rule id="110400" level="6"><decoded_as>nids</decoded_as><check_if_ignored>srcip, id</check_if_ignored><description>IDS alert</description></rule>' +
    '<rule id="110401" level="10" frequency="3" timeframe="600"><if_matched_sid>110400</if_matched_sid><same_source_ip /><ignore>srcip, id</ignore><description>IDS alerts repeated</description></rule></group>',
};

test('the ignore list outlives a restart: a source and id quietened before it stay quiet after it', async () => {
  const dir = scratch();
  const dataDir = scratch();
  const log = join(dir, 'nids.log');
  writeFileSync(log, '');
  const events: NewEvent[] = [];
  const factory = createLogInspectAgentFactory();
  const first = factory.create(context(events, dataDir));
  await first.apply(configuration([log], [quietAfterThree]), {} as never);
  appendFileSync(log, 'nids alert sig=7 src=198.51.100.7\n'.repeat(3));
  poll(first);
  await first.stop();
  assert.deepEqual(
    events.map((e) => e.ruleId),
    ['110400', '110400', '110401'],
  );
  assert.equal(JSON.parse(readFileSync(join(dataDir, 'ignore-list.json'), 'utf8')).entries.length, 1);
  const second = factory.create(context(events, dataDir));
  await second.apply(configuration([log], [quietAfterThree]), {} as never);
  appendFileSync(log, 'nids alert sig=7 src=198.51.100.7\nnids alert sig=7 src=198.51.100.8\n');
  poll(second);
  await second.stop();
  assert.deepEqual(
    events.slice(3).map((e) => [e.ruleId, /src=(\S+)/.exec(String(e.details?.fullLog))?.[1]]),
    [['110400', '198.51.100.8']],
    'the ignored source stays ignored after the restart; another source is not',
  );
});

test('a damaged ignore-list file is reported in the status and the list starts empty', async () => {
  const dataDir = scratch();
  writeFileSync(join(dataDir, 'ignore-list.json'), '{"version":1');
  const m = createLogInspectAgentFactory().create(context([], dataDir));
  await m.apply(configuration([], [quietAfterThree]), {} as never);
  const status = m.status();
  await m.stop();
  assert.match(status.reason ?? '', /ignore-list\.json.*alerts ignored before come back/);
});
