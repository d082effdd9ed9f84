import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { activateAgent, type ChannelCredentials, ManagerChannel, readIdentity } from '@bulwark/platform-agent';
import { EventBatchAck, HeartbeatResponse } from '@bulwark/protocol';
import { createTestPki, type FakeManager, startFakeManager, type TestPki } from './fake-manager.js';

let pki: TestPki;
let manager: FakeManager;
let impostor: FakeManager;
let impostorPki: TestPki;
let credentials: ChannelCredentials;
const dir = mkdtempSync(join(tmpdir(), 'bulwark-channel-'));
const heartbeat = {
  appliedConfigurationVersion: null,
  modules: [],
  spool: { pendingEvents: 0, droppedEvents: 0 },
  agentVersion: 'test',
};
const event = { seq: 1, time: new Date().toISOString(), module: 'm', type: 't', severity: 'low', summary: 's' };

before(async () => {
  pki = await createTestPki();
  manager = await startFakeManager(pki);
  impostorPki = await createTestPki('Impostor CA');
  impostor = await startFakeManager(impostorPki);
  const activated = await activateAgent({
    managerUrl: manager.url,
    token: manager.token,
    caPem: pki.caPem,
    dataDir: dir,
  });
  assert.equal(activated.ok, true);
  const read = readIdentity(dir);
  if (read.kind !== 'activated') throw new Error('not activated');
  credentials = {
    managerUrl: read.identity.managerUrl,
    keyPem: read.identity.keyPem,
    certificatePem: read.identity.certificatePem,
    caPem: read.identity.caPem,
  };
});
after(async () => {
  await manager.close();
  await impostor.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('manager channel', () => {
  it('talks to the manager with its client certificate', async () => {
    const channel = new ManagerChannel(credentials);
    const result = await channel.call('POST', '/agent/v1/heartbeat', heartbeat, HeartbeatResponse);
    channel.close();
    assert.equal(result.ok, true, JSON.stringify(result));
  });

  it('refuses a server whose certificate is not from the manager CA, sending nothing to it', async () => {
    const channel = new ManagerChannel({ ...credentials, managerUrl: impostor.url });
    const result = await channel.call('POST', '/agent/v1/heartbeat', heartbeat, HeartbeatResponse);
    channel.close();
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /certificate|self.signed|issuer/i);
    assert.equal(impostor.heartbeats.length, 0);
  });

  it('is refused with a client certificate from another CA', async () => {
    const strangerDir = join(dir, 'stranger');
    const activated = await activateAgent({
      managerUrl: impostor.url,
      token: impostor.token,
      caPem: impostorPki.caPem,
      dataDir: strangerDir,
    });
    assert.equal(activated.ok, true);
    const stranger = readIdentity(strangerDir);
    if (stranger.kind !== 'activated') throw new Error('not activated');
    const before = manager.heartbeats.length;
    const channel = new ManagerChannel({
      ...credentials,
      keyPem: stranger.identity.keyPem,
      certificatePem: stranger.identity.certificatePem,
    });
    const result = await channel.call('POST', '/agent/v1/heartbeat', heartbeat, HeartbeatResponse);
    channel.close();
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.status, 401);
    assert.equal(manager.heartbeats.length, before);
  });

  it('retries a 503 with backoff, and gives up at once on a 4xx', async () => {
    let calls = 0;
    manager.onEvents = () => (++calls <= 2 ? 'fail' : 'ack');
    const channel = new ManagerChannel(credentials);
    const retried = await channel.call('POST', '/agent/v1/events', { events: [event] }, EventBatchAck, { retries: 3 });
    assert.equal(retried.ok, true, JSON.stringify(retried));
    assert.equal(calls, 3);
    const refused = await channel.call('POST', '/agent/v1/nowhere', {}, EventBatchAck, { retries: 3 });
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.status, 404);
      assert.equal(refused.retryable, false);
    }
    channel.close();
    manager.onEvents = () => 'ack';
  });

  it('times out a manager that does not answer, as a retryable failure', async () => {
    manager.onEvents = () => 'hold';
    const channel = new ManagerChannel(credentials);
    const started = Date.now();
    const result = await channel.call('POST', '/agent/v1/events', { events: [event] }, EventBatchAck, {
      timeoutMs: 500,
    });
    channel.close();
    manager.onEvents = () => 'ack';
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.retryable, true);
      assert.match(result.message, /no answer within 500 ms/);
    }
    assert.ok(Date.now() - started < 10_000);
  });
});
