import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseSettingValue, settingSourceText } from './setting-value.js';

describe('parseSettingValue', () => {
  it('reads JSON and falls back to the string itself', () => {
    assert.equal(parseSettingValue('true'), true);
    assert.equal(parseSettingValue('60'), 60);
    assert.deepEqual(parseSettingValue('["a","b"]'), ['a', 'b']);
    assert.equal(parseSettingValue('"60"'), '60');
    assert.equal(parseSettingValue('tap'), 'tap');
    assert.equal(parseSettingValue('{broken'), '{broken');
  });

  it('never throws and round-trips any JSON value', () => {
    fc.assert(fc.property(fc.string(), (text) => void parseSettingValue(text)));
    // Compared as JSON text: JSON has no -0, so -0 comes back as 0, which is what the server would store.
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        assert.equal(JSON.stringify(parseSettingValue(text)), text);
      }),
    );
  });
});

describe('settingSourceText', () => {
  it('words overridden and inherited values as the console does', () => {
    assert.equal(settingSourceText({ value: 'tap', overridden: true, source: { kind: 'computer' } }), 'Overridden');
    assert.equal(
      settingSourceText({
        value: 'inline',
        overridden: false,
        source: { kind: 'policy', id: 'p', name: 'Linux Server' },
      }),
      'Inherited (inline) from Linux Server',
    );
    assert.equal(
      settingSourceText({ value: 60, overridden: false, source: { kind: 'default' } }),
      'Inherited (60) from defaults',
    );
  });
});
