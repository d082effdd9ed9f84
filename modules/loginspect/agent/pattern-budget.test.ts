import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { AgentModule, AgentModuleContext, NewEvent } from '@bulwark/protocol';
import { compileRuleset } from '../engine/index.js';
import { createLogInspectAgentFactory } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'loginspect-budget-'));
after(() => rmSync(root, { recursive: true, force: true }));

/**
 * `^.*(?=.*zz)q` passes the load-time check (anchored, one unbounded repetition outside the
 * lookahead and one inside) yet is quadratic: 1.6 s on one 64 KiB line of "a" on the build
 * machine. The clock is injected (each reading 250 ms after the last), so the test does not
 * depend on this machine's speed.
 */
const slow = {
  id: 'slow',
  decodersXml: '<decoder name="slowapp"><program_name>^slowapp$</program_name></decoder>',
  rulesXml:
    '<group name="test,"><rule id="110500" level="7"><decoded_as>slowapp</decoded_as><match_pcre2>^.*(?=.*zz)q</match_pcre2><description>slow pattern</description></rule>' +
    '<rule id="110501" level="7"><decoded_as>slowapp</decoded_as><match>hello</match><description>plain pattern</description></rule></group>',
};

function context(events: NewEvent[], dataDir: string): AgentModuleContext {
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  const localOptions = {
    source: '/etc/bulwark/agent.conf',
    get: (key: string) => (key === 'loginspect.readPaths' ? root : undefined),
  };
  return {
    dataDir,
    log,
    emit: (e) => events.push(e),
    reportInventory: () => {},
    writeStateFile: moduleStateFileWriter(dataDir),
    localOptions,
  };
}

test('the slow-but-admitted pattern passes the load check and is the one put under the guard', () => {
  let guarded = 0;
  const { ruleset, problems } = compileRuleset(
    {
      decoders: [{ name: 'd.xml', content: slow.decodersXml }],
      rules: [{ name: 'r.xml', content: slow.rulesXml }],
    },
    {
      guard: (_owner, _pattern, match) => {
        guarded++;
        return match();
      },
    },
  );
  assert.deepEqual(
    problems.filter((p) => p.severity === 'error'),
    [],
  );
  assert.equal(ruleset.rulesById.get(110500)?.guarded?.guardedPatterns, 1);
  assert.equal(ruleset.rulesById.get(110501)?.guarded, undefined, 'a linear-time pattern needs no guard');
  assert.equal(guarded, 0);
});

test('a rule whose pattern once goes over the budget is disabled, counted, told in an event and named in the status', async () => {
  const dir = mkdtempSync(join(root, 'logs-'));
  const dataDir = mkdtempSync(join(root, 'data-'));
  const log = join(dir, 'app.log');
  writeFileSync(log, '');
  const events: NewEvent[] = [];
  let clock = 0;
  const m: AgentModule = createLogInspectAgentFactory({
    patternBudgetMs: 100,
    patternClock: () => (clock += 250),
  }).create(context(events, dataDir));
  await m.apply(
    {
      enabled: true,
      configuration: {
        minimumLevel: 5,
        sources: { files: [log], journald: false },
        builtInGroups: [],
        custom: [slow],
        rejectedRules: [],
      },
    },
    {} as never,
  );
  appendFileSync(
    log,
    'Dec  7 09:00:00 h slowapp: qzz\nDec  7 09:00:01 h slowapp: qzz\nDec  7 09:00:02 h slowapp: hello\n',
  );
  (m as unknown as { poll(): void }).poll();
  const status = m.status();
  await m.stop();
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.ruleId ?? ''}`),
    ['pattern-disabled ', 'rule-match 110500', 'rule-match 110501'],
    'the slow match still counts once; afterwards the rule is off and the plain rule goes on',
  );
  const disabled = events[0] as NewEvent;
  assert.equal(disabled.details?.kind, 'rule');
  assert.equal(disabled.details?.name, '110500');
  assert.equal(disabled.details?.pattern, '^.*(?=.*zz)q');
  assert.equal(disabled.details?.budgetMs, 100);
  assert.equal(status.counters?.patternsDisabled, 1);
  assert.match(
    status.reason ?? '',
    /rule 110500: disabled until the ruleset changes: its pattern "\^\.\*\(\?=\.\*zz\)q" took 250 ms/,
  );
});
