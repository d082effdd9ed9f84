import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from './fake-agent-flow.js';
import { activateFakeAgent, bearer, call, startTestManager } from './manager-harness.js';

const postgresUrl = process.env.BULWARK_TEST_POSTGRES_URL;

test('two manager nodes on one PostgreSQL database pass wakes to each other', async (t) => {
  if (!postgresUrl) return t.skip('set BULWARK_TEST_POSTGRES_URL to run two manager nodes on PostgreSQL');
  const { createTestDatabase } = await import('./postgres-database.js');
  const database = await createTestDatabase(postgresUrl);
  // Both nodes use one PKI directory, as nodes behind one name must present one CA.
  const shared = await mkdtemp(join(tmpdir(), 'bulwark-two-nodes-'));
  const a = await startTestManager({ databaseUrl: database.url, dataDir: shared });
  const b = await startTestManager({ databaseUrl: database.url, dataDir: shared });
  try {
    assert.equal(a.manager.caFingerprint, b.manager.caFingerprint);
    const agent = await activateFakeAgent(a.manager);

    // The agent's poll lands on node B; the operator's wake is made on node A.
    const poll = call(`${b.manager.agentUrl}/agent/v1/wake?timeoutSeconds=60`, { ...agent.tls, timeoutMs: 70_000 });
    await waitFor(() => b.manager.wakeHub.waiting(agent.computerId) === 1, 'the poll reaching node B');
    const wake = await call(`${a.manager.consoleUrl}/api/computers/${agent.computerId}/wake`, {
      method: 'POST',
      headers: bearer(a.keys.operator),
      ca: a.manager.caCertPem,
    });
    assert.equal(wake.status, 202, wake.text);
    assert.equal(wake.json.agentListening, true, 'node A knows the agent listens on node B');
    assert.deepEqual((await poll).json, { wake: true });
    // With no poll held anywhere, the answer is false (after the other nodes stayed silent).
    const unheard = await call(`${a.manager.consoleUrl}/api/computers/${agent.computerId}/wake`, {
      method: 'POST',
      headers: bearer(a.keys.operator),
      ca: a.manager.caCertPem,
    });
    assert.equal(unheard.json.agentListening, false);

    // The woken agent heartbeats (here to node A, which also serves the wake node A kept for it).
    const heartbeat = await call(`${a.manager.agentUrl}/agent/v1/heartbeat`, {
      body: {
        appliedConfigurationVersion: null,
        modules: [],
        spool: { pendingEvents: 0, droppedEvents: 0 },
        agentVersion: '1',
      },
      ...agent.tls,
    });
    assert.equal(heartbeat.status, 200, heartbeat.text);

    // And the other way round, through a configuration change.
    const poll2 = call(`${a.manager.agentUrl}/agent/v1/wake?timeoutSeconds=60`, { ...agent.tls, timeoutMs: 70_000 });
    await waitFor(() => a.manager.wakeHub.waiting(agent.computerId) === 1, 'the poll reaching node A');
    const change = await call(
      `${b.manager.consoleUrl}/api/computers/${agent.computerId}/settings/platform.networkEngineMode`,
      { method: 'PUT', body: { value: 'tap' }, headers: bearer(b.keys.operator), ca: b.manager.caCertPem },
    );
    assert.equal(change.status, 200, change.text);
    assert.deepEqual((await poll2).json, { wake: true });
  } finally {
    await b.close();
    await a.close();
    await database.drop();
    await rm(shared, { recursive: true, force: true });
  }
});

test('nodes with their own data directories share the cluster CA through the cluster key', async (t) => {
  if (!postgresUrl) return t.skip('set BULWARK_TEST_POSTGRES_URL to run two manager nodes on PostgreSQL');
  const { createTestDatabase } = await import('./postgres-database.js');
  const database = await createTestDatabase(postgresUrl);
  const clusterKey = 'test-cluster-key-0123456789abcdefghijklmnop';
  const dirs = await Promise.all(['a', 'b', 'c', 'd'].map((n) => mkdtemp(join(tmpdir(), `bulwark-node-${n}-`))));
  const [dirA, dirB, dirC, dirD] = dirs as [string, string, string, string];
  const a = await startTestManager({ databaseUrl: database.url, dataDir: dirA, clusterKey });
  let b: Awaited<ReturnType<typeof startTestManager>> | undefined;
  try {
    b = await startTestManager({ databaseUrl: database.url, dataDir: dirB, clusterKey });
    assert.equal(b.manager.caFingerprint, a.manager.caFingerprint, 'node B took the cluster CA');
    assert.equal(
      await readFile(join(dirB, 'pki', 'ca.crt'), 'utf8'),
      await readFile(join(dirA, 'pki', 'ca.crt'), 'utf8'),
    );

    // An agent activated on node A is served by node B (its certificate is the cluster CA's).
    const agent = await activateFakeAgent(a.manager);
    const heartbeat = await call(`${b.manager.agentUrl}/agent/v1/heartbeat`, {
      body: {
        appliedConfigurationVersion: null,
        modules: [],
        spool: { pendingEvents: 0, droppedEvents: 0 },
        agentVersion: '1',
      },
      ...agent.tls,
    });
    assert.equal(heartbeat.status, 200, heartbeat.text);

    // A node without the key, and a node with a CA of its own, refuse to start and say why.
    await assert.rejects(startTestManager({ databaseUrl: database.url, dataDir: dirC }), /--cluster-key-file/);
    const own = await startTestManager({ dataDir: dirD }); // a SQLite manager: a CA of its own in dirD/pki
    await own.close();
    await assert.rejects(
      startTestManager({ databaseUrl: database.url, dataDir: dirD, clusterKey }),
      /is not the cluster's/,
    );
  } finally {
    await b?.close();
    await a.close();
    await database.drop();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
});
