import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { InventoryAgentConfiguration } from '../engine/index.js';
import { managerModule } from './index.js';

describe('inventory manager module', () => {
  it('defaults to enabled, hourly, and refuses intervals under a minute', () => {
    const defaults = Value.Default(managerModule.settings, {});
    assert.deepEqual(defaults, { enabled: true, intervalSeconds: 3600 });
    assert.equal(Value.Check(managerModule.settings, { enabled: true, intervalSeconds: 59 }), false);
    assert.equal(Value.Check(managerModule.settings, { enabled: false, intervalSeconds: 60 }), true);
  });

  it('compiles to what the agent side accepts', () => {
    const compiled = managerModule.compile({
      computerId: 'c',
      settings: { enabled: true, intervalSeconds: 900 },
      platform: {} as never,
      rules: [],
    });
    assert.deepEqual(compiled, { intervalSeconds: 900 });
    assert.equal(Value.Check(InventoryAgentConfiguration, compiled), true);
  });
});
