/**
 * NFLOG against the real kernel: an nft `log group` rule in the server namespace, a subscriber
 * process inside that namespace, TCP from the client namespace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { namespaceProbeFailure } from '../support/namespace-feature.js';
import { createLab, kernelSkipReason, type Lab, missing, spawnInNamespace } from './netns-lab.js';

const nflogRule = () => {
  const failure = namespaceProbeFailure('nflog');
  return (
    failure &&
    missing(`an nft log group rule must load in CI: ${failure}`, `an nft log group rule does not load: ${failure}`)
  );
};
const skip = kernelSkipReason('NFLOG in a network namespace', { tools: ['ip', 'nc', 'nft'] }) ?? nflogRule();
if (skip) console.log(`# skipping NFLOG system tests: ${skip}`);

const GROUP = 5;
const PORT = 8443;

describe('NFLOG packet log', { skip }, () => {
  let lab: Lab;
  before(() => {
    lab = createLab('l');
    const ruleset = `table inet bwlogtest {\n  chain input {\n    type filter hook input priority 0;\n    tcp dport ${PORT} log prefix "bw-test-drop " group ${GROUP}\n  }\n}\n`;
    const r = lab.exec(lab.server, 'sh', ['-c', `printf '%s' '${ruleset}' | nft -f -`]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => lab?.destroy());

  test('delivers metadata, prefix and the first bytes of logged packets', async () => {
    const worker = spawnInNamespace(lab.server, [process.execPath, '--import', 'tsx', 'test/kernel/log-worker.ts'], {
      BW_GROUP: String(GROUP),
    });
    try {
      const first = await worker.waitFor((l) => 'ready' in l || 'unavailable' in l);
      assert.equal(first.unavailable, undefined, String(first.unavailable));
      lab.exec(lab.client, 'nc', ['-z', '-w', '1', lab.serverAddress, String(PORT)]);
      const logged = await worker.waitFor((l) => 'prefix' in l);
      assert.equal(logged.prefix, 'bw-test-drop ');
      assert.equal(logged.hwProtocol, 0x0800);
      assert.equal(logged.hook, 1, 'input hook');
      assert.equal(logged.version, 4);
      assert.equal(logged.proto, 6);
      assert.equal(logged.source, lab.clientAddress);
      assert.equal(logged.destinationPort, PORT);
      assert.equal(logged.bytes, 40, 'copy range limits the bytes');
      assert.ok((logged.inInterface as number) > 0);
    } finally {
      await worker.stop();
    }
  });

  test('a second subscriber to the same group gets a clear reason', async () => {
    const a = spawnInNamespace(lab.server, [process.execPath, '--import', 'tsx', 'test/kernel/log-worker.ts'], {
      BW_GROUP: '6',
    });
    try {
      await a.waitFor((l) => 'ready' in l);
      const b = spawnInNamespace(lab.server, [process.execPath, '--import', 'tsx', 'test/kernel/log-worker.ts'], {
        BW_GROUP: '6',
      });
      const line = await b.waitFor((l) => 'ready' in l || 'unavailable' in l);
      await b.stop();
      assert.match(String(line.unavailable), /nflog/);
    } finally {
      await a.stop();
    }
  });
});
