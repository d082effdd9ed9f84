import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AgentSettings } from './appcontrol-configuration.js';
import { compileExecutionPolicy, decideExecution, type ExecutionSubject } from './execution-policy.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const settings = (over: Partial<AgentSettings> = {}): AgentSettings => ({
  mode: 'block-unrecognized',
  maintenanceUntilMs: null,
  trustPackageManagers: false,
  roots: ['/usr/bin'],
  enforcedMounts: [],
  checkInterpreters: true,
  ...over,
});
const subject = (over: Partial<ExecutionSubject> = {}): ExecutionSubject => ({
  path: '/opt/tool',
  sha256: A,
  inInventory: false,
  byPackageManager: false,
  ...over,
});

test('unrecognized software is blocked or allowed and reported, per mode', () => {
  assert.deepEqual(decideExecution(compileExecutionPolicy(settings(), []), subject(), 0), {
    verdict: 'block',
    reason: 'unrecognized',
    joinInventory: false,
  });
  const allowMode = compileExecutionPolicy(settings({ mode: 'allow-unrecognized' }), []);
  assert.equal(decideExecution(allowMode, subject(), 0).verdict, 'allow-and-report');
  assert.equal(decideExecution(allowMode, subject({ inInventory: true }), 0).verdict, 'allow');
});

test('a block rule wins over the inventory, allow rules and maintenance', () => {
  const policy = compileExecutionPolicy(settings({ maintenanceUntilMs: 1000 }), [
    { id: 'allow-all-opt', name: 'opt', action: 'allow', paths: ['/opt/**'], hashes: [A] },
    { id: 'bad', name: 'bad', action: 'block', hashes: [A] },
  ]);
  assert.deepEqual(decideExecution(policy, subject({ inInventory: true }), 10), {
    verdict: 'block',
    reason: 'block-rule-hash',
    ruleId: 'bad',
    joinInventory: false,
  });
  assert.equal(decideExecution(policy, subject({ sha256: B }), 10).reason, 'allow-rule-path');
});

test('block by path, allow by hash, and a hash that could not be read', () => {
  const policy = compileExecutionPolicy(settings(), [
    { id: 'no-tmp', name: 'tmp', action: 'block', paths: ['/tmp/*'] },
    { id: 'ok', name: 'ok', action: 'allow', hashes: [B] },
  ]);
  assert.equal(decideExecution(policy, subject({ path: '/tmp/x', sha256: B }), 0).ruleId, 'no-tmp');
  assert.equal(decideExecution(policy, subject({ path: '/tmp/d/x', sha256: B }), 0).reason, 'allow-rule-hash');
  assert.equal(decideExecution(policy, subject({ sha256: null, inInventory: false }), 0).reason, 'unrecognized');
});

test('maintenance mode lets new software run until its end and adds it to the inventory', () => {
  const policy = compileExecutionPolicy(settings({ maintenanceUntilMs: 5000 }), []);
  assert.deepEqual(decideExecution(policy, subject(), 4999), {
    verdict: 'allow',
    reason: 'maintenance',
    joinInventory: true,
  });
  assert.equal(decideExecution(policy, subject(), 5000).verdict, 'block');
  assert.equal(decideExecution(policy, subject({ sha256: null }), 0).joinInventory, false);
});

test('package manager activity is trusted only when the option is on', () => {
  const on = compileExecutionPolicy(settings({ trustPackageManagers: true }), []);
  const off = compileExecutionPolicy(settings(), []);
  assert.equal(decideExecution(on, subject({ byPackageManager: true }), 0).reason, 'package-manager');
  assert.equal(decideExecution(off, subject({ byPackageManager: true }), 0).verdict, 'block');
});

test('rules that do not fit are refused whole with the reason', () => {
  const policy = compileExecutionPolicy(settings(), [
    { id: 'empty', name: 'e', action: 'allow' },
    { id: 'rel', name: 'r', action: 'allow', paths: ['bin/x'] },
    { id: 'hash', name: 'h', action: 'block', hashes: ['ABC'] },
    { id: 'ok', name: 'ok', action: 'allow', hashes: [A] },
    { id: 'ok', name: 'again', action: 'allow', hashes: [B] },
    42,
  ]);
  assert.deepEqual(
    policy.refused.map((r) => r.id),
    ['empty', 'rel', 'hash', 'ok', '(no id)'],
  );
  assert.match(policy.refused[1]?.reason ?? '', /absolute/);
  assert.equal(policy.ruleCount, 1);
});

test('garbage rules never throw; every rule is loaded or refused', () => {
  fc.assert(
    fc.property(fc.array(fc.anything()), fc.string(), (rules, path) => {
      const policy = compileExecutionPolicy(settings(), rules);
      assert.equal(policy.ruleCount + policy.refused.length, rules.length);
      decideExecution(policy, subject({ path }), 0);
    }),
  );
});
