import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AgentSettings } from './appcontrol-configuration.js';
import { compileExecutionPolicy, type Decision, type DecisionReason } from './execution-policy.js';
import { ignorableUntilModified, rememberedVerdict } from './remembered-verdict.js';

const settings = (trustPackageManagers: boolean): AgentSettings => ({
  mode: 'block-unrecognized',
  maintenanceUntilMs: null,
  trustPackageManagers,
  roots: [],
  enforcedMounts: [],
  checkInterpreters: true,
});
const decision = (reason: DecisionReason, verdict: Decision['verdict'], joinInventory = false): Decision => ({
  reason,
  verdict,
  joinInventory,
});

test('allows by the inventory or an allow rule are remembered silently; blocks by a rule with notice', () => {
  for (const reason of ['inventory', 'allow-rule-hash', 'allow-rule-path'] as const)
    assert.deepEqual(rememberedVerdict(decision(reason, 'allow'), settings(true)), {
      response: 'allow',
      notify: false,
    });
  for (const reason of ['block-rule-hash', 'block-rule-path'] as const)
    assert.deepEqual(rememberedVerdict(decision(reason, 'block'), settings(true)), { response: 'deny', notify: true });
});

test('maintenance and package-manager allows (joins) are never remembered', () => {
  assert.equal(rememberedVerdict(decision('maintenance', 'allow', true), settings(false)), null);
  assert.equal(rememberedVerdict(decision('maintenance', 'allow', false), settings(false)), null, 'unhashable file');
  assert.equal(rememberedVerdict(decision('package-manager', 'allow', true), settings(true)), null);
});

test('an unrecognized verdict depends on who runs it while package managers are trusted', () => {
  assert.equal(rememberedVerdict(decision('unrecognized', 'block'), settings(true)), null);
  assert.deepEqual(rememberedVerdict(decision('unrecognized', 'block'), settings(false)), {
    response: 'deny',
    notify: true,
  });
  assert.deepEqual(rememberedVerdict(decision('unrecognized', 'allow-and-report'), settings(false)), {
    response: 'allow',
    notify: true,
  });
});

test('whatever is remembered answers as the decision did, and every non-allow is reported', () => {
  const reasons: DecisionReason[] = [
    'block-rule-hash',
    'block-rule-path',
    'allow-rule-hash',
    'allow-rule-path',
    'inventory',
    'maintenance',
    'package-manager',
    'unrecognized',
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...reasons),
      fc.constantFrom<Decision['verdict']>('allow', 'block', 'allow-and-report'),
      fc.boolean(),
      fc.boolean(),
      (reason, verdict, join, trust) => {
        const r = rememberedVerdict(decision(reason, verdict, join), settings(trust));
        if (r === null) return true;
        return !join && (r.response === 'deny') === (verdict === 'block') && r.notify === (verdict !== 'allow');
      },
    ),
  );
});

test('the kernel may ignore a file until written only for content-only allows of root-only files, without block path rules', () => {
  const policy = (blockPaths: number) =>
    compileExecutionPolicy(
      settings(true),
      blockPaths > 0 ? [{ id: 'b', name: 'b', action: 'block', paths: ['/tmp/**'] }] : [],
    );
  const root = { uid: 0, mode: 0o100755 };
  assert.equal(ignorableUntilModified(decision('inventory', 'allow'), policy(0), root), true);
  assert.equal(ignorableUntilModified(decision('allow-rule-hash', 'allow'), policy(0), root), true);
  assert.equal(ignorableUntilModified(decision('allow-rule-path', 'allow'), policy(0), root), false, 'path-bound');
  assert.equal(ignorableUntilModified(decision('inventory', 'allow'), policy(1), root), false, 'a hard link elsewhere');
  assert.equal(ignorableUntilModified(decision('inventory', 'allow'), policy(0), { uid: 1000, mode: 0o100755 }), false);
  assert.equal(ignorableUntilModified(decision('inventory', 'allow'), policy(0), { uid: 0, mode: 0o100775 }), false);
  assert.equal(ignorableUntilModified(decision('inventory', 'allow'), policy(0), { uid: 0, mode: 0o100757 }), false);
  assert.equal(ignorableUntilModified(decision('maintenance', 'allow', true), policy(0), root), false);
  assert.equal(ignorableUntilModified(decision('block-rule-hash', 'block'), policy(0), root), false);
});
