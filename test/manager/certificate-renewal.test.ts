// Agent certificates are renewed over the mutual-TLS channel before they expire: the real manager
// signs 20-second certificates here, and the agent keeps heartbeating well past the first one's end.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { activateAgent, readIdentity, silentLogger, startAgent } from '@bulwark/platform-agent';
import { startTestManager, type TestManager } from './manager-harness.js';
import { eventually, SYSTEM } from './real-agent-process.js';

const VALIDITY_MS = 20_000;

describe('agent certificate renewal', () => {
  let t: TestManager;
  let dir: string;

  before(async () => {
    t = await startTestManager({ agentCertificateValidityMs: VALIDITY_MS });
    dir = await mkdtemp(join(tmpdir(), 'bulwark-renewal-'));
  });
  after(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const certificate = () => {
    const read = readIdentity(dir);
    assert.equal(read.kind, 'activated');
    return new X509Certificate(read.kind === 'activated' ? read.identity.certificatePem : '');
  };

  test('a short-lived certificate is renewed before it ends; the old one is revoked once the new one is used', async () => {
    const token = await t.manager.services.activationTokens.create({ name: 'renewal' }, SYSTEM);
    assert.ok(token.ok);
    const activated = await activateAgent({ managerUrl: t.manager.agentUrl, token: token.value.token, dataDir: dir });
    assert.ok(activated.ok, JSON.stringify(activated));
    const first = certificate();
    const firstEnd = Date.parse(first.validTo);
    const started = await startAgent({ dataDir: dir, log: silentLogger, factories: [], maxHeartbeatIntervalMs: 500 });
    assert.ok(started.ok);
    try {
      // Well past the first certificate's end, the agent still reaches the manager.
      const computer = await eventually(
        async () => {
          const c = await t.manager.services.computers.get(activated.computerId);
          assert.ok(c.ok);
          return c.value;
        },
        (c) => c.lastHeartbeatAt !== null && Date.parse(c.lastHeartbeatAt) > firstEnd + 2000,
        VALIDITY_MS * 3,
        'a heartbeat after the first certificate expired',
      );
      assert.equal(computer.status === 'deactivated', false);
      const now = certificate();
      assert.notEqual(now.serialNumber, first.serialNumber);
      assert.ok(Date.parse(now.validTo) > firstEnd);
      const normalise = (s: string) => s.toLowerCase().replace(/^0+/, '');
      assert.equal(await t.manager.services.computers.isCertificateRevoked(normalise(first.serialNumber)), true);
      assert.equal(started.agent.status().lastError, null);
    } finally {
      await started.agent.stop();
    }
  });
});
