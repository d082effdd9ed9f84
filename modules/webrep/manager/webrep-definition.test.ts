import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { WebrepConfiguration } from '../engine/index.js';
import { managerModule } from './webrep-definition.js';

const platform = {
  heartbeatIntervalSeconds: 60,
  missedHeartbeatsBeforeOffline: 3,
  networkEngineMode: 'inline' as const,
  failMode: 'open' as const,
  failDeadlineMilliseconds: 200,
  eventSpoolMaxEvents: 100_000,
  minimumEventSeverity: 'info' as const,
};

describe('web reputation manager definition', () => {
  const defaults = Value.Create(managerModule.settings);

  it('compiles settings, exceptions and the reputation package into a configuration the agent accepts', () => {
    const compiled = managerModule.compile({
      computerId: 'c',
      settings: { ...defaults, allow: ['a.example'], exceptions: ['b.example'], blockedCategories: ['Malware'] },
      platform,
      rules: [],
      updates: { 'webrep-reputation': { version: 3, sha256: 'f'.repeat(64), size: 10 } },
    }) as WebrepConfiguration;
    assert.ok(Value.Check(WebrepConfiguration, compiled));
    assert.deepEqual(compiled.allow, ['a.example', 'b.example']);
    assert.deepEqual(compiled.blockedCategories, ['malware']);
    assert.equal(compiled.reputation?.version, 3);
    assert.equal(compiled.detectOnly, false);
  });

  it('tap mode or detect mode make it detect only', () => {
    const tap = managerModule.compile({
      computerId: 'c',
      settings: defaults,
      platform: { ...platform, networkEngineMode: 'tap' },
      rules: [],
    }) as WebrepConfiguration;
    const detect = managerModule.compile({
      computerId: 'c',
      settings: { ...defaults, mode: 'detect' },
      platform,
      rules: [],
    }) as WebrepConfiguration;
    assert.deepEqual([tap.detectOnly, detect.detectOnly], [true, true]);
  });

  it('refuses a list entry it could not match, naming its position', () => {
    assert.deepEqual(managerModule.checkSetting?.('block', ['ok.example', 'bad entry']), [
      { path: '/1', message: '"bad entry" holds white space' },
    ]);
  });

  it('refuses reputation data with a bad line, naming it', () => {
    const check = managerModule.updateKinds?.[0]?.check;
    assert.deepEqual(check?.(new TextEncoder().encode('target,risk\na.example,50\nb.example,500\n')), [
      'line 3: risk "500" is not a whole number from 0 to 100',
    ]);
    assert.deepEqual(check?.(new TextEncoder().encode('target,risk\na.example,50\n')), []);
  });

  it('reads list files in the formats it offers', () => {
    const read = managerModule.listImport!.read('hosts', '0.0.0.0 a.example b.example\n', {});
    assert.ok(!('refused' in read));
    assert.deepEqual(read.items, ['a.example', 'b.example']);
  });
});
