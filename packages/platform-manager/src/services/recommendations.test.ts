import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { managerModule as firewallManager } from '@bulwark/module-firewall/manager';
import type { Inventory } from '@bulwark/protocol';
import { testStores } from '../storage/test-stores.js';
import { activateComputer, alice, must, openTestServices, type TestServices } from './test-services.js';

/** A web server with sshd: the firewall proposes its baseline, allow-ssh and allow-http-server. */
const webServer: Inventory = {
  collectedAt: '2026-01-01T00:00:00.000Z',
  hostname: 'web-1',
  os: { id: 'debian', name: 'Debian GNU/Linux', version: '12' },
  kernel: { release: '6.1.0-18-amd64', machine: 'x86_64' },
  packages: [],
  listeningPorts: [
    { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 22, process: 'sshd' },
    { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 80, process: 'nginx' },
  ],
  services: [],
  users: [],
};

const ids = (list: readonly { id: string }[] | undefined) => (list ?? []).map((r) => r.id).sort();

for (const testStore of await testStores()) {
  describe(`recommendation auto-apply never narrows traffic (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await openTestServices(testStore, [firewallManager]);
    });
    after(async () => {
      await t?.close();
    });

    it('allow rules that would turn on implicit deny are proposed, not assigned; widening ones are assigned', async () => {
      const c = await activateComputer(t.services, 'web-1', null);
      must(await t.services.inventory.store(c, webServer));
      const scan = must(await t.services.recommendations.scan(c, { autoApply: true }, alice));
      const proposed = scan.recommended.firewall ?? [];
      for (const id of ['allow-established', 'allow-established-outgoing', 'allow-ssh', 'allow-http-server'])
        assert.ok(proposed.includes(id), `${id} is proposed`);
      // Only the force-allow for loopback widens what passes; every allow rule would turn on implicit deny.
      assert.deepEqual(scan.applied, { firewall: ['allow-loopback'] });
      const left = scan.notApplied.firewall ?? [];
      assert.deepEqual(
        ids(left),
        proposed.filter((id) => id !== 'allow-loopback'),
      );
      const outgoing = left.find((r) => r.id === 'allow-established-outgoing');
      assert.match(outgoing?.reason ?? '', /implicit deny for outgoing traffic/);
      assert.match(left.find((r) => r.id === 'allow-ssh')?.reason ?? '', /implicit deny for incoming traffic/);
      const inForce = must(await t.services.rules.effective({ kind: 'computer', id: c }, 'firewall')).map((r) => r.id);
      assert.deepEqual(inForce, ['allow-loopback']);
    });

    it('once an administrator turned implicit deny on for incoming traffic, incoming allows are auto-applied, outgoing ones still not', async () => {
      const c = await activateComputer(t.services, 'web-2', null);
      must(await t.services.inventory.store(c, webServer));
      must(await t.services.rules.assign({ kind: 'computer', id: c }, 'firewall', ['allow-ssh'], alice));
      const scan = must(await t.services.recommendations.scan(c, { autoApply: true }, alice));
      const applied = scan.applied.firewall ?? [];
      assert.ok(applied.includes('allow-established'));
      assert.ok(applied.includes('allow-http-server'));
      assert.ok(!applied.includes('allow-established-outgoing'));
      assert.deepEqual(ids(scan.notApplied.firewall), ['allow-established-outgoing']);
    });

    it('a deny rule is never auto-applied, unless it is overridden to detect only', async () => {
      const { firewallAutoApplyRefusals } = await import('@bulwark/module-firewall/manager');
      const deny = firewallManager.builtInRules?.find((r) => r.id === 'deny-syn-fin');
      assert.ok(deny);
      assert.deepEqual(ids(firewallAutoApplyRefusals([{ id: deny.id, definition: deny, overrides: {} }], [])), [
        'deny-syn-fin',
      ]);
      assert.deepEqual(
        firewallAutoApplyRefusals([{ id: deny.id, definition: deny, overrides: { mode: 'detect' } }], []),
        [],
      );
    });
  });
}
