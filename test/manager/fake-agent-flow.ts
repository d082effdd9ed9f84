import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { RunningManager } from '@bulwark/platform-manager';
import { inventoryDigest } from '@bulwark/protocol';
import { bearer, call, makeKeyAndCsr } from './manager-harness.js';

/**
 * The whole agent ↔ manager conversation as a hand-made "fake agent" (node:https with its own
 * key and certificate) would hold it, checked from both ports. Run on SQLite and, when
 * configured, on PostgreSQL.
 */
export async function fakeAgentFlow(manager: RunningManager, keys: { administrator: string; operator: string }) {
  const ca = manager.caCertPem;
  const admin = bearer(keys.administrator);
  const operator = bearer(keys.operator);
  const api = (path: string) => `${manager.consoleUrl}${path}`;
  const agentUrl = (path: string) => `${manager.agentUrl}${path}`;

  // The operator makes an activation token through the API.
  const policy = await call(api('/api/policies'), { body: { name: `Linux Server ${Date.now()}` }, headers: admin, ca });
  assert.equal(policy.status, 201, policy.text);
  const tokenAnswer = await call(api('/api/activation-tokens'), {
    body: { name: 'web servers', maxUses: 5, policyId: policy.json.id },
    headers: admin,
    ca,
  });
  assert.equal(tokenAnswer.status, 201, tokenAnswer.text);
  assert.equal(typeof tokenAnswer.json.token, 'string');
  const listed = await call(api('/api/activation-tokens'), { headers: admin, ca });
  assert.ok(!listed.text.includes(tokenAnswer.json.token), 'the token is shown once, never listed');

  // Activation: key pair + CSR, token → certificate.
  const { keyPem, csrPem } = await makeKeyAndCsr();
  const activation = await call(agentUrl('/agent/v1/activate'), {
    body: { token: tokenAnswer.json.token, csr: csrPem, hostname: 'web-01', agentVersion: '0.1.0' },
    ca,
  });
  assert.equal(activation.status, 200, activation.text);
  const computerId: string = activation.json.computerId;
  const tls = { key: keyPem, cert: activation.json.certificate as string, ca: activation.json.caCertificate as string };
  assert.equal(new X509Certificate(tls.cert).subject, `CN=${computerId}`);
  const computer = await call(api(`/api/computers/${computerId}`), { headers: admin, ca });
  assert.equal(computer.status, 200, computer.text);
  assert.equal(computer.json.policyId, policy.json.id, 'the token pre-assigned its policy');
  assert.equal(computer.json.certificateSerial, undefined, 'internal fields are not served');

  const inventory = {
    collectedAt: new Date().toISOString(),
    hostname: 'web-01',
    os: { id: 'debian', name: 'Debian GNU/Linux', version: '12' },
    kernel: { release: '6.1.0-18-amd64', machine: 'x86_64' },
    packages: [{ name: 'nginx', version: '1.22.1-9', manager: 'dpkg' as const }],
    listeningPorts: [{ protocol: 'tcp' as const, family: 'ipv4' as const, address: '0.0.0.0', port: 80 }],
    services: [{ name: 'nginx.service', activeState: 'active' }],
    users: [{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }],
  };
  // Heartbeat → the version to run, and a request for the inventory the manager does not have.
  const heartbeatBody = {
    appliedConfigurationVersion: null,
    modules: [{ id: 'inventory', state: 'on' }],
    spool: { pendingEvents: 0, droppedEvents: 0 },
    agentVersion: '0.1.0',
  };
  const heartbeat = await call(agentUrl('/agent/v1/heartbeat'), {
    body: { ...heartbeatBody, inventoryDigest: inventoryDigest(inventory) },
    ...tls,
  });
  assert.equal(heartbeat.status, 200, heartbeat.text);
  const version: string = heartbeat.json.configurationVersion;
  assert.match(version, /^[0-9a-f]{64}$/);
  assert.equal(heartbeat.json.sendInventory, true);

  // Fetch that configuration.
  const configuration = await call(agentUrl(`/agent/v1/configuration/${version}`), tls);
  assert.equal(configuration.status, 200, configuration.text);
  assert.equal(configuration.json.version, version);
  assert.equal(configuration.json.computerId, computerId);
  // A version that is gone (changed again since a heartbeat named it) is answered with the current one.
  const stale = await call(agentUrl(`/agent/v1/configuration/${'0'.repeat(64)}`), tls);
  assert.equal(stale.status, 200, stale.text);
  assert.equal(stale.json.version, version);

  // The inventory; then the heartbeat with its digest no longer asks for it.
  const stored = await call(agentUrl('/agent/v1/inventory'), { body: { inventory }, ...tls });
  assert.equal(stored.status, 200, stored.text);
  const inventoryAnswer = await call(api(`/api/computers/${computerId}/inventory`), { headers: admin, ca });
  assert.equal(inventoryAnswer.status, 200, inventoryAnswer.text);
  assert.equal(inventoryAnswer.json.inventory.packages[0].name, 'nginx');
  const second = await call(agentUrl('/agent/v1/heartbeat'), {
    body: { ...heartbeatBody, appliedConfigurationVersion: version, inventoryDigest: inventoryDigest(inventory) },
    ...tls,
  });
  assert.equal(second.status, 200, second.text);
  assert.equal(second.json.sendInventory, false);

  // Events, sent twice (an upload retried after a lost answer): stored once.
  const events = [1, 2, 3].map((seq) => ({
    seq,
    time: new Date(Date.now() - (4 - seq) * 1000).toISOString(),
    module: 'firewall',
    type: 'packet-denied',
    severity: 'medium' as const,
    ruleId: 'fw-100',
    action: 'Deny',
    summary: `denied packet ${seq} from 10.0.0.9`,
    details: { source: '10.0.0.9' },
  }));
  const firstUpload = await call(agentUrl('/agent/v1/events'), { body: { events }, ...tls });
  assert.equal(firstUpload.status, 200, firstUpload.text);
  assert.deepEqual(firstUpload.json, { accepted: 3, duplicates: 0 });
  const retried = await call(agentUrl('/agent/v1/events'), { body: { events }, ...tls });
  assert.deepEqual(retried.json, { accepted: 0, duplicates: 3 });
  const badBatch = await call(agentUrl('/agent/v1/events'), {
    body: { events: [{ ...events[0], seq: 4, severity: 'apocalyptic' }] },
    ...tls,
  });
  assert.equal(badBatch.status, 400);
  const search = await call(api(`/api/events?computerId=${computerId}`), { headers: admin, ca });
  assert.equal(search.status, 200, search.text);
  assert.equal(search.json.items.length, 3, 'deduplicated, and the bad batch stored nothing');
  const csv = await call(api(`/api/events/export?computerId=${computerId}&format=csv`), { headers: admin, ca });
  assert.equal(csv.status, 200, csv.text);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  assert.equal(csv.text.trim().split('\r\n').length, 4, 'header + 3 events');
  const json = await call(api(`/api/events/export?computerId=${computerId}&format=json`), { headers: admin, ca });
  assert.equal(json.status, 200, json.text);
  assert.match(String(json.headers['content-type']), /^application\/json/);
  const exported = JSON.parse(json.text) as { seq: number; computerId: string }[];
  assert.deepEqual(
    exported.map((e) => e.seq).sort(),
    [1, 2, 3],
    'the JSON export holds the same three events as the search',
  );
  assert.ok(exported.every((e) => e.computerId === computerId));

  // Wake: a long-poll held open is answered by the API's wake call.
  const poll = call(agentUrl('/agent/v1/wake?timeoutSeconds=60'), { ...tls, timeoutMs: 70_000 });
  await waitFor(() => manager.wakeHub.waiting(computerId) === 1);
  const wake = await call(api(`/api/computers/${computerId}/wake`), { method: 'POST', headers: operator, ca });
  assert.equal(wake.status, 202, wake.text);
  assert.equal(wake.json.agentListening, true);
  const woken = await poll;
  assert.equal(woken.status, 200, woken.text);
  assert.deepEqual(woken.json, { wake: true });

  // A settings change recompiles the computer and wakes its agent; the heartbeat brings the new version.
  const poll2 = call(agentUrl('/agent/v1/wake?timeoutSeconds=60'), { ...tls, timeoutMs: 70_000 });
  await waitFor(() => manager.wakeHub.waiting(computerId) === 1);
  const setting = await call(api(`/api/computers/${computerId}/settings/platform.heartbeatIntervalSeconds`), {
    method: 'PUT',
    body: { value: 30 },
    headers: operator,
    ca,
  });
  assert.equal(setting.status, 200, setting.text);
  assert.deepEqual(setting.json.changedComputerIds, [computerId]);
  assert.deepEqual((await poll2).json, { wake: true });
  const third = await call(agentUrl('/agent/v1/heartbeat'), {
    body: { ...heartbeatBody, appliedConfigurationVersion: version },
    ...tls,
  });
  assert.notEqual(third.json.configurationVersion, version);
  assert.equal(third.json.heartbeatIntervalSeconds, 30);
  const badSetting = await call(api(`/api/computers/${computerId}/settings/platform.heartbeatIntervalSeconds`), {
    method: 'PUT',
    body: { value: 'often' },
    headers: operator,
    ca,
  });
  assert.equal(badSetting.status, 400, badSetting.text);

  return { computerId, tls };
}

export async function waitFor(condition: () => boolean, what = 'the condition', ms = 30_000): Promise<void> {
  // A hang guard: the condition turns true as soon as the request lands.
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
