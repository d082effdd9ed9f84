import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWith } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { DevicecontrolConfiguration } from '../engine/index.js';
import { DevicecontrolSettings, managerModule } from './index.js';

const defaults = () => Value.Default(DevicecontrolSettings, {}) as typeof DevicecontrolSettings.static;

test('compile puts the computer exceptions before the policy exceptions, and fits the agent schema', () => {
  const settings = {
    ...defaults(),
    enabled: true,
    massStorage: 'read-only' as const,
    exceptions: [{ vendorId: '0781', access: 'full' as const }],
    computerExceptions: [{ vendorId: '0781', productId: '5567', serial: 'AB*', access: 'block' as const }],
  };
  const compiled = managerModule.compile({ computerId: 'c1', settings, platform: {} as never, rules: [] });
  const parsed = parseWith(DevicecontrolConfiguration, compiled);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.equal(parsed.value.policy.massStorage, 'read-only');
  assert.deepEqual(
    parsed.value.policy.exceptions.map((e) => [e.source, e.access]),
    [
      ['computer', 'block'],
      ['policy', 'full'],
    ],
  );
});

test('defaults: off; once on, storage and network adapters blocked, input devices let through', () => {
  const d = defaults();
  assert.equal(d.enabled, false);
  assert.equal(d.massStorage, 'block');
  assert.equal(d.networkAdapter, 'block');
  assert.equal(d.humanInterface, 'full');
  assert.deepEqual(d.exceptions, []);
});

test('an exception for any vendor without a serial is refused at the API with its path', () => {
  const issues = managerModule.checkSetting?.('exceptions', [
    { vendorId: '0781', access: 'full' },
    { vendorId: '*', access: 'full' },
  ]);
  assert.deepEqual(
    issues?.map((i) => i.path),
    ['/1'],
  );
  assert.deepEqual(
    managerModule.checkSetting?.('computerExceptions', [{ vendorId: '*', serial: 'X*', access: 'full' }]),
    [],
  );
  assert.equal(parseWith(DevicecontrolSettings.properties.exceptions, [{ vendorId: '781', access: 'full' }]).ok, false);
});

test('events are presented with the product, and their SIEM fields carry vendor, product and serial', () => {
  const event = {
    seq: 1,
    time: '2026-12-07T12:00:00Z',
    module: 'devicecontrol',
    type: 'device-blocked',
    severity: 'medium' as const,
    summary: 's',
    details: {
      vendorId: '0781',
      productId: '5567',
      serial: 'AB1',
      product: 'Cruzer Blade',
      access: 'block',
      reason: 'r',
    },
  };
  assert.equal(managerModule.presentEvent?.(event).title, 'USB device blocked: Cruzer Blade');
  const fields = managerModule.siemFields?.({ type: event.type, details: event.details }) ?? [];
  assert.deepEqual(
    fields.map((f) => f.value),
    ['0781', '5567', 'AB1', 'r'],
  );
});
