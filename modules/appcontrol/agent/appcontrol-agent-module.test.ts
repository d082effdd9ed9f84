import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentModuleContext, NewEvent, PlatformSettings } from '@bulwark/protocol';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { agentModule } from './index.js';

function context(events: NewEvent[]): AgentModuleContext {
  const log = { info() {}, warn() {}, error() {} };
  return {
    dataDir: '/nonexistent',
    log,
    emit: (event) => events.push(event),
    reportInventory() {},
    writeStateFile() {
      throw new Error('not used');
    },
  };
}

const platform = {} as PlatformSettings;

test('applies rules, reports a match as an event, and counts it', async () => {
  const events: NewEvent[] = [];
  const m = agentModule.create(context(events));
  await m.apply({ enabled: true, configuration: { rules: BUILT_IN_RULES } }, platform);
  assert.equal(m.status().state, 'on');
  const answer = await m.run?.('check', { text: 'pam_unix: session opened for user root by (uid=0)' });
  assert.deepEqual(answer, { matched: ['appcontrol.root-login'] });
  assert.equal(events.length, 1);
  assert.equal(events[0]?.ruleId, 'appcontrol.root-login');
  assert.equal(m.status().counters?.matches, 1);
});

test('a refused configuration keeps the previous rules in force and says so', async () => {
  const events: NewEvent[] = [];
  const m = agentModule.create(context(events));
  await m.apply({ enabled: true, configuration: { rules: BUILT_IN_RULES } }, platform);
  await m.apply({ enabled: true, configuration: { rules: 'not a list' } }, platform);
  assert.equal(m.status().state, 'error');
  assert.match(m.status().reason ?? '', /previous one stays in force/);
  await m.run?.('check', { text: 'session opened for user root' });
  assert.equal(events.length, 1);
});

test('a rule the engine refuses is named in status; an unknown command is a clear error', async () => {
  const m = agentModule.create(context([]));
  await m.apply(
    { enabled: true, configuration: { rules: [...BUILT_IN_RULES, { id: 'broken', severity: 'low' }] } },
    platform,
  );
  assert.match(m.status().reason ?? '', /broken/);
  assert.equal(m.status().counters?.refusedRules, 1);
  await assert.rejects(m.run?.('nosuch', {}) ?? Promise.reject(new Error('no run')), /no command "nosuch"/);
});
