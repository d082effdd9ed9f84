import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  activateAgent,
  deactivateAgent,
  readAgentStatus,
  readIdentity,
  silentLogger,
  startAgent,
} from '@bulwark/platform-agent';
import { createTestPki, type FakeManager, startFakeManager, type TestPki } from './fake-manager.js';

let pki: TestPki;
let manager: FakeManager;
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-agent-'));
  dirs.push(dir);
  return dir;
};

before(async () => {
  pki = await createTestPki();
  manager = await startFakeManager(pki);
});
after(async () => {
  await manager.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('agent activation', () => {
  it('activates with the CA given as a file, stores the identity with a private key only root can read', async () => {
    const dir = dataDir();
    const result = await activateAgent({
      managerUrl: manager.url,
      token: manager.token,
      caPem: pki.caPem,
      dataDir: dir,
      hostname: 'web-1',
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    if (!result.ok) return;
    assert.equal(result.computerId, manager.computerId);
    assert.equal(result.caTrust, 'ca-file');
    assert.equal(result.caFingerprint, pki.caFingerprint);
    const read = readIdentity(dir);
    assert.equal(read.kind, 'activated');
    if (read.kind !== 'activated') return;
    assert.equal(read.identity.managerUrl, manager.url);
    assert.equal(read.identity.caPem.trim(), pki.caPem.trim());
    assert.match(read.identity.keyPem, /BEGIN PRIVATE KEY/);
    assert.equal(statSync(join(dir, 'agent-key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'identity.json')).mode & 0o777, 0o600);
    const status = readAgentStatus(dir);
    assert.equal(status.activated, true);
    assert.equal(status.computerId, manager.computerId);
    assert.equal(status.daemon, 'never-started');

    const again = await activateAgent({
      managerUrl: manager.url,
      token: manager.token,
      caPem: pki.caPem,
      dataDir: dir,
    });
    assert.equal(again.ok, false);
    if (!again.ok) assert.equal(again.code, 'already-activated');
  });

  it('activates with a pinned CA fingerprint, and refuses a manager whose chain does not hold it', async () => {
    const dir = dataDir();
    const pinned = await activateAgent({
      managerUrl: manager.url,
      token: manager.token,
      caFingerprint: pki.caFingerprint.replace(/(..)(?!$)/g, '$1:'),
      dataDir: dir,
    });
    assert.equal(pinned.ok, true, JSON.stringify(pinned));
    const read = readIdentity(dir);
    assert.equal(read.kind === 'activated' && read.identity.caPem.replace(/\s/g, ''), pki.caPem.replace(/\s/g, ''));

    const other = dataDir();
    const wrong = await activateAgent({
      managerUrl: manager.url,
      token: manager.token,
      caFingerprint: 'ab'.repeat(32),
      dataDir: other,
    });
    assert.equal(wrong.ok, false);
    if (!wrong.ok) assert.match(wrong.message, /fingerprint/);
    assert.equal(readIdentity(other).kind, 'not-activated');
  });

  it('refuses a manager signed by another CA than the one given', async () => {
    const stranger = await createTestPki('Someone Else');
    const dir = dataDir();
    const result = await activateAgent({
      managerUrl: manager.url,
      token: manager.token,
      caPem: stranger.caPem,
      dataDir: dir,
    });
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.code, 'unreachable');
    assert.equal(readIdentity(dir).kind, 'not-activated');
  });

  it('pins the CA the token names: activates with the token alone', async () => {
    const dir = dataDir();
    const result = await activateAgent({ managerUrl: manager.url, token: manager.tokenWithCa, dataDir: dir });
    assert.equal(result.ok, true, JSON.stringify(result));
    if (result.ok) assert.equal(result.caTrust, 'token');
    if (result.ok) assert.equal(result.caFingerprint, pki.caFingerprint);
    assert.equal(readFileSync(join(dir, 'manager-ca.pem'), 'utf8').replace(/\s/g, ''), pki.caPem.replace(/\s/g, ''));
  });

  it('never sends the token to a server whose chain lacks the CA the token names', async () => {
    const stranger = await createTestPki('Man In The Middle');
    const impostor = await startFakeManager(stranger);
    try {
      const dir = dataDir();
      const result = await activateAgent({ managerUrl: impostor.url, token: manager.tokenWithCa, dataDir: dir });
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, /fingerprint/);
      assert.equal(impostor.activationCalls, 0, 'the impostor must not receive the token');
      assert.equal(readIdentity(dir).kind, 'not-activated');
      // Its own CA given on the command line does not override the token's: they must agree.
      const overridden = await activateAgent({
        managerUrl: impostor.url,
        token: manager.tokenWithCa,
        caPem: stranger.caPem,
        dataDir: dir,
      });
      assert.equal(overridden.ok, false);
      if (!overridden.ok) assert.equal(overridden.code, 'usage');
      assert.equal(impostor.activationCalls, 0);
    } finally {
      await impostor.close();
    }
  });

  it('refuses a token without a CA fingerprint when no CA is given, sending nothing', async () => {
    const dir = dataDir();
    const before = manager.activationCalls;
    const result = await activateAgent({ managerUrl: manager.url, token: manager.token, dataDir: dir });
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.code, 'usage');
      assert.match(result.message, /--ca-fingerprint/);
    }
    assert.equal(manager.activationCalls, before);
  });

  it('reports a refused token and a usage error clearly, storing nothing', async () => {
    const dir = dataDir();
    const refused = await activateAgent({
      managerUrl: manager.url,
      token: 'wrong-token-123',
      caPem: pki.caPem,
      dataDir: dir,
    });
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.code, 'refused');
      assert.match(refused.message, /403.*unknown token/);
    }
    const usage = await activateAgent({ managerUrl: 'http://127.0.0.1:1', token: manager.token, dataDir: dir });
    assert.equal(usage.ok, false);
    if (!usage.ok) assert.equal(usage.code, 'usage');
    assert.equal(readIdentity(dir).kind, 'not-activated');
  });

  it('deactivates: tells the manager, then removes the identity', async () => {
    const dir = dataDir();
    const result = await activateAgent({
      managerUrl: manager.url,
      token: manager.token,
      caPem: pki.caPem,
      dataDir: dir,
    });
    assert.equal(result.ok, true);
    const started = await startAgent({ dataDir: dir, log: silentLogger, factories: [], wakeTimeoutSeconds: 1 });
    if (!started.ok) throw new Error(started.message);
    const deactivated = await deactivateAgent({ dataDir: dir });
    assert.equal(deactivated.ok, true, JSON.stringify(deactivated));
    // The running daemon notices by itself and asks to end.
    assert.equal(await started.agent.ended, 'deactivated');
    await started.agent.stop();
    if (deactivated.ok) assert.equal(deactivated.managerTold, true);
    assert.equal(manager.computerId, null);
    assert.equal(readIdentity(dir).kind, 'not-activated');
    const twice = await deactivateAgent({ dataDir: dir });
    assert.equal(twice.ok, false);
    if (!twice.ok) assert.equal(twice.code, 'not-activated');
  });
});
