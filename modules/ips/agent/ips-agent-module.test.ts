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
  const answer = await m.run?.('check', { text: '/item?id=1%27%20or%20%271%27=%271' });
  assert.deepEqual(answer, { matched: ['bw-1000200'] });
  assert.equal(events.length, 1);
  assert.equal(events[0]?.ruleId, 'bw-1000200');
  assert.equal(m.status().counters?.matches, 1);
});

test('a refused configuration keeps the previous rules in force and says so', async () => {
  const events: NewEvent[] = [];
  const m = agentModule.create(context(events));
  await m.apply({ enabled: true, configuration: { rules: BUILT_IN_RULES } }, platform);
  await m.apply({ enabled: true, configuration: { rules: 'not a list' } }, platform);
  assert.equal(m.status().state, 'error');
  assert.match(m.status().reason ?? '', /previous one stays in force/);
  await m.run?.('check', { text: '/item?id=1%27%20or%20%271%27=%271' });
  assert.equal(events.length, 1);
});

test('a rule the engine refuses is named in status; an unknown command is a clear error', async () => {
  const m = agentModule.create(context([]));
  await m.apply(
    { enabled: true, configuration: { rules: [...BUILT_IN_RULES, { id: 'bw-99', name: 'broken', severity: 'low' }] } },
    platform,
  );
  assert.match(m.status().reason ?? '', /bw-99/);
  assert.equal(m.status().counters?.refusedRules, 1);
  await assert.rejects(m.run?.('nosuch', {}) ?? Promise.reject(new Error('no run')), /no command "nosuch"/);
});
