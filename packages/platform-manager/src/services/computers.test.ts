import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HeartbeatRequest, Inventory } from '@bulwark/protocol';
import { testStores } from '../storage/test-stores.js';
import { activateComputer, alice, must, mustFail, openTestServices, type TestServices } from './test-services.js';

function heartbeat(applied: string | null, extra: Partial<HeartbeatRequest> = {}): HeartbeatRequest {
  return {
    appliedConfigurationVersion: applied,
    modules: [{ id: 'sample', state: 'on' }],
    spool: { pendingEvents: 0, droppedEvents: 0 },
    agentVersion: '0.1.0',
    ...extra,
  };
}

const inventory: Inventory = {
  collectedAt: '2026-01-01T00:00:00.000Z',
  hostname: 'inv-host',
  os: { id: 'debian', name: 'Debian GNU/Linux', version: '12' },
  kernel: { release: '6.1.0', machine: 'x86_64' },
  packages: [{ name: 'openssh-server', version: '1:9.2p1-2', manager: 'dpkg' }],
  listeningPorts: [{ protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 22 }],
  services: [{ name: 'ssh.service', activeState: 'active' }],
  users: [{ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }],
};

for (const testStore of await testStores()) {
  describe(`activation tokens and computers (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await openTestServices(testStore);
    });
    after(async () => {
      await t?.close();
    });

    const activate = (token: string, hostname = 'host') =>
      t.services.computers.activate({ token, hostname, agentVersion: '0.1.0' });

    it('activates with a valid token into its policy and refuses wrong, expired, used-up and revoked tokens', async () => {
      const { activationTokens, policies, computers } = t.services;
      const policy = must(await policies.create({ name: 'Token policy' }, alice));
      const limited = must(
        await activationTokens.create(
          { name: 'two uses', maxUses: 2, policyId: policy.id, expiresAt: '2026-01-02T00:00:00Z' },
          alice,
        ),
      );
      assert.match(limited.token, /^bwt_/);
      assert.equal(limited.activationToken.state, 'active');
      const first = must(await activate(limited.token, 'one'));
      assert.equal(first.heartbeatIntervalSeconds, 60);
      assert.equal(must(await computers.get(first.computerId)).policyId, policy.id);
      must(await activate(limited.token, 'two'));
      mustFail(await activate(limited.token, 'three'), 'unauthenticated', /used 2 times, its limit/);

      mustFail(await activate(`${limited.token.slice(0, -2)}zz`), 'unauthenticated', /activation token is not valid/);
      mustFail(await activate('bwt_nonsense'), 'unauthenticated', /not valid/);

      const expiring = must(await activationTokens.create({ name: 'soon', expiresAt: '2026-01-01T01:00:00Z' }, alice));
      const revoked = must(await activationTokens.create({ name: 'revoked' }, alice));
      must(await activationTokens.revoke(revoked.activationToken.id, alice));
      mustFail(await activate(revoked.token), 'unauthenticated', /revoked/);
      t.clock.advance(2 * 60 * 60 * 1000);
      mustFail(await activate(expiring.token), 'unauthenticated', /expired at 2026-01-01T01:00:00.000Z/);

      const states = new Map(must(await activationTokens.list()).items.map((i) => [i.name, i.state]));
      assert.equal(states.get('soon'), 'expired');
      assert.equal(states.get('revoked'), 'revoked');
      assert.equal(states.get('two uses'), 'used-up');

      mustFail(await activationTokens.create({ maxUses: 0 }, alice), 'validation');
      mustFail(await activationTokens.create({ expiresAt: 'tomorrow' }, alice), 'validation');
      mustFail(await activationTokens.create({ expiresAt: '2020-01-01T00:00:00Z' }, alice), 'validation', /future/);
      mustFail(await activationTokens.create({ policyId: '00000000-0000-4000-8000-000000000000' }, alice), 'not-found');

      const rows = await t.store.db.selectFrom('activation_tokens').select('token_hash').execute();
      for (const row of rows) assert.ok(!limited.token.includes(row.token_hash));
    });

    it('takes the last use of a token only once when agents race', async () => {
      const { token } = must(await t.services.activationTokens.create({ name: 'race', maxUses: 1 }, alice));
      const results = await Promise.all([
        activate(token, 'racer-1'),
        activate(token, 'racer-2'),
        activate(token, 'racer-3'),
      ]);
      assert.equal(results.filter((r) => r.ok).length, 1);
    });

    it('derives status from heartbeats: updates pending, managed, error, and back', async () => {
      const { computers } = t.services;
      const id = await activateComputer(t.services, 'status-host');
      const fresh = must(await computers.get(id));
      assert.equal(fresh.status, 'updates-pending');
      const version = fresh.configurationVersion;
      assert.ok(version);

      const answer = must(await computers.heartbeat(id, heartbeat(null, { inventoryDigest: 'abc' })));
      assert.deepEqual(answer, { configurationVersion: version, heartbeatIntervalSeconds: 60, sendInventory: true });
      assert.equal(must(await computers.get(id)).status, 'updates-pending');

      must(await computers.heartbeat(id, heartbeat(version)));
      const managed = must(await computers.get(id));
      assert.equal(managed.status, 'managed');
      assert.equal(managed.appliedConfigurationVersion, version);
      assert.equal(managed.lastHeartbeatAt, new Date(t.clock.now()).toISOString());

      must(
        await computers.heartbeat(
          id,
          heartbeat(version, { modules: [{ id: 'sample', state: 'error', reason: 'nft failed' }] }),
        ),
      );
      const failing = must(await computers.get(id));
      assert.equal(failing.status, 'error');
      assert.equal(failing.statusReason, 'sample: nft failed');
      assert.deepEqual(failing.modules, [{ id: 'sample', state: 'error', reason: 'nft failed' }]);

      must(await computers.heartbeat(id, heartbeat(version, { configurationError: 'bad document' })));
      assert.match(must(await computers.get(id)).statusReason ?? '', /bad document/);

      must(await t.services.settings.set({ kind: 'computer', id }, 'sample.level', 1, alice));
      must(await computers.heartbeat(id, heartbeat(version)));
      assert.equal(must(await computers.get(id)).status, 'updates-pending');
      mustFail(await computers.heartbeat('00000000-0000-4000-8000-000000000000', heartbeat(null)), 'not-found');
    });

    it('stores inventories and asks for one only when the digest differs', async () => {
      const { computers } = t.services;
      const id = await activateComputer(t.services, 'inv-host');
      mustFail(await t.services.inventory.get(id), 'not-found', /not reported an inventory yet/);
      const { digest } = must(await t.services.inventory.store(id, inventory));
      const stored = must(await t.services.inventory.get(id));
      assert.deepEqual(stored.inventory, inventory);
      assert.equal(stored.digest, digest);
      const later = must(
        await t.services.inventory.store(id, { ...inventory, collectedAt: '2026-01-01T05:00:00.000Z' }),
      );
      assert.equal(later.digest, digest, 'the digest does not depend on when the inventory was collected');
      assert.equal(
        must(await computers.heartbeat(id, heartbeat(null, { inventoryDigest: digest }))).sendInventory,
        false,
      );
      assert.equal(
        must(await computers.heartbeat(id, heartbeat(null, { inventoryDigest: 'other' }))).sendInventory,
        true,
      );
      assert.equal(must(await computers.heartbeat(id, heartbeat(null))).sendInventory, false);
    });

    it('marks silent computers offline with one alert, and a heartbeat clears it', async () => {
      const { computers, alerts } = t.services;
      const id = await activateComputer(t.services, 'offline-host');
      const version = must(await computers.get(id)).configurationVersion;
      must(await computers.heartbeat(id, heartbeat(version)));
      must(await t.services.settings.set({ kind: 'computer', id }, 'platform.heartbeatIntervalSeconds', 10, alice));

      t.clock.advance(29_000);
      assert.ok(!(await alerts.checkOffline()).includes(id), 'still within 3 × 10 s');
      t.clock.advance(2_000);
      assert.ok((await alerts.checkOffline()).includes(id));
      assert.ok(!(await alerts.checkOffline()).includes(id), 'marked once');
      const offline = must(await computers.get(id));
      assert.equal(offline.status, 'offline');
      const open = must(await alerts.list({ state: 'open' })).items.filter((a) => a.computerId === id);
      assert.equal(open.length, 1);
      assert.equal(open[0]?.type, 'computer-offline');
      assert.match(open[0]?.message ?? '', /offline-host is offline: missed 3 heartbeats/);
      const again = await alerts.raise('computer-offline', id, 'duplicate');
      assert.equal(again.id, open[0]?.id, 'one open alert per type and computer');

      must(await computers.heartbeat(id, heartbeat(must(await computers.get(id)).configurationVersion)));
      assert.equal(must(await computers.get(id)).status, 'managed');
      const cleared = must(await alerts.list({ state: 'cleared' })).items.find((a) => a.id === open[0]?.id);
      assert.equal(cleared?.clearedBy, 'heartbeat');
      assert.equal(must(await alerts.list({ state: 'open' })).items.filter((a) => a.computerId === id).length, 0);
    });

    it('raises an alert when an agent reports lost events, once while it is open', async () => {
      const { computers, alerts } = t.services;
      const id = await activateComputer(t.services, 'lossy-host');
      const version = must(await computers.get(id)).configurationVersion;
      const lost = (dropped: number, problem?: string) =>
        heartbeat(version, { spool: { pendingEvents: 0, droppedEvents: dropped, ...(problem ? { problem } : {}) } });
      must(await computers.heartbeat(id, lost(0)));
      const open = async () => must(await alerts.list({ state: 'open' })).items.filter((a) => a.computerId === id);
      assert.deepEqual(await open(), []);
      must(await computers.heartbeat(id, lost(3, 'cannot write the event spool since X: database or disk is full')));
      const raised = await open();
      assert.equal(raised.length, 1);
      assert.equal(raised[0]?.type, 'events-lost');
      assert.match(raised[0]?.message ?? '', /lost 3 events \(3 in all\): cannot write the event spool .*disk is full/);
      must(await computers.heartbeat(id, lost(3)));
      must(await computers.heartbeat(id, lost(5)));
      assert.equal((await open()).length, 1, 'one open alert per computer');
    });

    it('acknowledges and clears alerts with an audit trail', async () => {
      const { alerts } = t.services;
      const id = await activateComputer(t.services, 'alert-host');
      const alert = await alerts.raise('test-alert', id, 'something happened');
      const acknowledged = must(await alerts.acknowledge(alert.id, alice));
      assert.equal(acknowledged.state, 'acknowledged');
      assert.equal(acknowledged.acknowledgedBy, 'alice');
      assert.equal((await alerts.raise('test-alert', id, 'again')).id, alert.id, 'acknowledged is still active');
      const cleared = must(await alerts.clear(alert.id, alice));
      assert.equal(cleared.state, 'cleared');
      mustFail(await alerts.acknowledge(alert.id, alice), 'conflict');
      assert.notEqual((await alerts.raise('test-alert', id, 'new')).id, alert.id, 'after clearing, a new alert');
      const audit = must(await t.services.audit.list({ targetKind: 'alert', targetId: alert.id })).items;
      assert.deepEqual(
        audit.map((e) => [e.action, (e.before as { state: string }).state, (e.after as { state: string }).state]),
        [
          ['alert.clear', 'acknowledged', 'cleared'],
          ['alert.acknowledge', 'open', 'acknowledged'],
        ],
      );
      mustFail(await alerts.list({ state: 'closed' as never }), 'validation');
    });

    it('deactivates: revokes the certificate, refuses heartbeats, keeps the record', async () => {
      const { computers } = t.services;
      const id = await activateComputer(t.services, 'leaving-host');
      must(await computers.recordCertificate(id, '0a1b2c'));
      assert.equal(await computers.isCertificateRevoked('0a1b2c'), false);
      const gone = must(await computers.deactivate(id, alice));
      assert.equal(gone.status, 'deactivated');
      assert.ok(gone.deactivatedAt);
      assert.equal(await computers.isCertificateRevoked('0a1b2c'), true);
      mustFail(await computers.heartbeat(id, heartbeat(null)), 'forbidden', /deactivated/);
      assert.equal(must(await computers.get(id)).status, 'deactivated');
      assert.ok(!(await t.services.alerts.checkOffline(new Date(t.clock.now() + 86_400_000))).includes(id));
      const audit = must(await t.services.audit.list({ targetKind: 'computer', targetId: id })).items;
      assert.deepEqual(
        audit.map((e) => e.action),
        ['computer.deactivate', 'computer.activate'],
      );
    });

    it('lists computers with filters and pages', async () => {
      const { computers, policies } = t.services;
      const policy = must(await policies.create({ name: 'List policy' }, alice));
      const ids: string[] = [];
      for (const name of ['list-b', 'list-a', 'list-c', 'LIST_%x'])
        ids.push(await activateComputer(t.services, name, policy.id));
      const byPolicy = must(await computers.list({ policyId: policy.id }));
      assert.deepEqual(
        byPolicy.items.map((c) => c.name),
        ['LIST_%x', 'list-a', 'list-b', 'list-c'],
      );
      const named = must(await computers.list({ q: 'LIST-' }));
      assert.deepEqual(named.items.map((c) => c.name).sort(), ['list-a', 'list-b', 'list-c']);
      assert.deepEqual(
        must(await computers.list({ q: '_%' })).items.map((c) => c.name),
        ['LIST_%x'],
        'LIKE wildcards in q are literal',
      );
      const first = must(await computers.list({ policyId: policy.id, limit: 3 }));
      assert.equal(first.items.length, 3);
      assert.ok(first.nextCursor);
      const second = must(await computers.list({ policyId: policy.id, limit: 3, cursor: first.nextCursor }));
      assert.deepEqual(
        second.items.map((c) => c.name),
        ['list-c'],
      );
      assert.equal(second.nextCursor, null);
      const pending = must(await computers.list({ policyId: policy.id, status: 'updates-pending' }));
      assert.equal(pending.items.length, 4);
      assert.equal(must(await computers.list({ policyId: policy.id, status: 'managed' })).items.length, 0);
      const renamed = must(await computers.update(ids[0] as string, { name: 'renamed', description: 'db' }, alice));
      assert.equal(renamed.computer.name, 'renamed');
      assert.deepEqual(renamed.changedComputerIds, []);
      mustFail(
        await computers.update(ids[0] as string, { policyId: '00000000-0000-4000-8000-000000000000' }, alice),
        'not-found',
      );
    });
  });
}
