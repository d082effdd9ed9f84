import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntegritySettings } from '@bulwark/module-integrity/engine';
import type { PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { cleanup, harness } from './harness.js';

test('rules the manager compiler rejected are named in the status until they are gone', async () => {
  const h = harness();
  const configuration = (rejectedRules: { id: string; reason: string }[]) => ({
    enabled: true,
    configuration: {
      settings: { ...Value.Create(IntegritySettings), enabled: true, scanOnStart: false },
      rules: [],
      rejectedRules,
    },
  });
  try {
    await h.module.apply(
      configuration([{ id: 'etc-rel', reason: '/entity/base: Expected an absolute path' }]),
      {} as PlatformSettings,
    );
    const status = h.module.status();
    assert.equal(status.state, 'on');
    assert.equal(status.reason, '1 rule not enforced: etc-rel (/entity/base: Expected an absolute path)');
    assert.equal(status.counters?.rejectedRules, 1);
    await h.module.apply(configuration([]), {} as PlatformSettings);
    assert.equal(h.module.status().reason, undefined);
    assert.equal(h.module.status().counters?.rejectedRules, 0);
  } finally {
    await h.module.stop();
    cleanup(h.dataDir);
  }
});
