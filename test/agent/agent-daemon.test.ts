import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { agentModule as inventoryModuleFactory } from '@bulwark/module-inventory/agent';
import {
  activateAgent,
  jsonLogger,
  type RunningAgent,
  readAgentStatus,
  silentLogger,
  startAgent,
} from '@bulwark/platform-agent';
import type { AgentModuleFactory } from '@bulwark/protocol';
import { createTestPki, type FakeManager, makeConfiguration, startFakeManager, type TestPki } from './fake-manager.js';

let pki: TestPki;
let manager: FakeManager;
let dir: string;
const applied: string[] = [];

/** A module that records what it is asked, and fails when its configuration says so. */
const probe: AgentModuleFactory = {
  id: 'probe',
  create: () => {
    let state: 'on' | 'off' = 'off';
    return {
      id: 'probe',
      async apply(config) {
        applied.push(JSON.stringify(config.configuration));
        if ((config.configuration as { fail?: boolean }).fail) throw new Error('kernel feature missing');
        state = config.enabled ? 'on' : 'off';
      },
      async stop() {
        applied.push('stop');
        state = 'off';
      },
      status: () => ({ id: 'probe', state, counters: { applies: applied.length } }),
    };
  },
};

before(async () => {
  pki = await createTestPki();
  manager = await startFakeManager(pki);
  dir = mkdtempSync(join(tmpdir(), 'bulwark-agent-daemon-'));
  const activated = await activateAgent({
    managerUrl: manager.url,
    token: manager.token,
    caPem: pki.caPem,
    dataDir: dir,
  });
  assert.equal(activated.ok, true);
});
after(async () => {
  await manager.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningAgent> {
  const started = await startAgent({
    dataDir: dir,
    log: process.env.BULWARK_TEST_LOG
      ? jsonLogger({ level: 'debug', write: (l) => process.stderr.write(`${l}\n`) })
      : silentLogger,
    factories: [probe, inventoryModuleFactory],
    wakeTimeoutSeconds: 2,
    uploaderIdleMs: 200,
  });
  if (!started.ok) throw new Error(started.message);
  return started.agent;
}

describe('agent daemon against a manager', () => {
  it('heartbeats, applies a new configuration when woken, reports module status and sends the inventory', async () => {
    const agent = await start();
    try {
      await manager.until(() => manager.heartbeats.length >= 1);
      assert.equal(manager.heartbeats[0]?.appliedConfigurationVersion, null);
      await manager.until(() =>
        manager.heartbeats.some((h) => h.appliedConfigurationVersion === manager.configuration?.version),
      );
      assert.equal(manager.heartbeats[0]?.agentVersion, '0.1.0');

      const computerId = manager.computerId!;
      manager.configuration = makeConfiguration(computerId, {
        probe: { enabled: true, configuration: { level: 1 } },
        inventory: { enabled: true, configuration: { intervalSeconds: 3600 } },
      });
      const before = manager.heartbeats.length;
      manager.wake(); // the heartbeat interval is 60 s: only the wake call makes this quick
      await manager.until(() =>
        manager.heartbeats.some((h) => h.appliedConfigurationVersion === manager.configuration?.version),
      );
      assert.ok(manager.heartbeats.length > before);
      assert.equal(manager.configurationRequests.at(-1), manager.configuration.version);
      assert.deepEqual(applied, ['{"level":1}']);

      await manager.until(() => manager.inventories.length >= 1);
      const inventory = manager.inventories[0]!;
      assert.ok(inventory.users.some((u) => u.name === 'root' && u.uid === 0));
      assert.ok(inventory.kernel.release.length > 0);

      // The next heartbeat carries the module statuses and the inventory digest.
      await agent.heartbeatNow();
      const last = manager.heartbeats.at(-1)!;
      const modules = new Map(last.modules.map((m) => [m.id, m]));
      assert.equal(modules.get('probe')?.state, 'on');
      assert.equal(modules.get('inventory')?.state, 'on');
      assert.ok((modules.get('inventory')?.counters?.users ?? 0) > 0);
      assert.match(last.inventoryDigest ?? '', /^[0-9a-f]{64}$/);

      // Events reach the manager in order.
      for (let i = 1; i <= 5; i++) agent.emit({ module: 'probe', type: 'test', severity: 'medium', summary: `e${i}` });
      await manager.until(() => [...manager.events.values()].filter((e) => e.module === 'probe').length === 5);
      const probeEvents = [...manager.events.values()].filter((e) => e.module === 'probe');
      assert.deepEqual(
        probeEvents.map((e) => e.summary),
        ['e1', 'e2', 'e3', 'e4', 'e5'],
      );
      assert.ok([...manager.events.values()].some((e) => e.type === 'configuration-applied'));
      await manager.until(() => agent.spool.counters().pendingEvents === 0);

      const status = readAgentStatus(dir);
      assert.equal(status.daemon, 'running');
      assert.equal(status.appliedConfigurationVersion, manager.configuration.version);
      assert.ok(status.lastContactAt);
    } finally {
      await agent.stop();
    }
    assert.equal(readAgentStatus(dir).daemon, 'stopped');
    assert.equal(agent.status().running, false);
    await agent.heartbeatNow(); // resolves at once once stopped
    assert.equal(
      agent.emit({ module: 'probe', type: 'late', severity: 'high', summary: 'after stop' }).kind,
      'full', // not stored (the spool is closed), not refused as invalid: a source keeps its place
    );
  });

  it('reports a module that fails as error, keeps running, and stops modules left out of the configuration', async () => {
    const agent = await start();
    try {
      const computerId = manager.computerId!;
      manager.configuration = makeConfiguration(computerId, {
        probe: { enabled: true, configuration: { fail: true } },
        inventory: { enabled: true, configuration: { intervalSeconds: 3600 } },
      });
      manager.wake();
      await manager.until(
        () => manager.heartbeats.at(-1)?.appliedConfigurationVersion === manager.configuration?.version,
      );
      const probeStatus = manager.heartbeats.at(-1)?.modules.find((m) => m.id === 'probe');
      assert.equal(probeStatus?.state, 'error');
      assert.match(probeStatus?.reason ?? '', /kernel feature missing/);
      await manager.until(() => [...manager.events.values()].some((e) => e.type === 'module-error'));

      manager.configuration = makeConfiguration(computerId, {
        inventory: { enabled: true, configuration: { intervalSeconds: 3600 } },
      });
      manager.wake();
      await manager.until(
        () => manager.heartbeats.at(-1)?.appliedConfigurationVersion === manager.configuration?.version,
      );
      assert.equal(applied.at(-1), 'stop');
      assert.deepEqual(
        manager.heartbeats.at(-1)?.modules.map((m) => m.id),
        ['inventory'],
      );
    } finally {
      await agent.stop();
    }
  });

  it('refuses a configuration that is not for this computer and says why in the next heartbeat', async () => {
    const agent = await start();
    try {
      const good = manager.configuration!;
      manager.configuration = makeConfiguration('someone-else', { probe: { enabled: true, configuration: {} } });
      manager.wake();
      await manager.until(() => manager.heartbeats.at(-1)?.configurationError !== undefined);
      assert.match(manager.heartbeats.at(-1)?.configurationError ?? '', /not this one/);
      assert.equal(manager.heartbeats.at(-1)?.appliedConfigurationVersion, good.version);
      manager.configuration = good;
    } finally {
      await agent.stop();
    }
  });

  it('finds and drops the one event the manager refuses, delivering the others of its batch', async () => {
    const agent = await start();
    try {
      manager.onEvents = (batch) => (batch.some((e) => e.summary === 'poison') ? 'reject' : 'ack');
      const before = agent.spool.counters().invalidEvents;
      for (let i = 1; i <= 9; i++) {
        agent.emit({ module: 'probe', type: 'batch', severity: 'low', summary: i === 5 ? 'poison' : `ok ${i}` });
      }
      await manager.until(() => [...manager.events.values()].filter((e) => e.type === 'batch').length === 8);
      await manager.until(() => agent.spool.counters().pendingEvents === 0);
      assert.equal(agent.spool.counters().invalidEvents, before + 1);
      assert.ok(![...manager.events.values()].some((e) => e.summary === 'poison'));
    } finally {
      manager.onEvents = () => 'ack';
      await agent.stop();
    }
  });

  it('applies the stored configuration at start, before reaching the manager', async () => {
    await manager.pause();
    applied.length = 0;
    const computerId = manager.computerId!;
    const agent = await start();
    try {
      // The last applied configuration named only the inventory module: it runs with no manager.
      const statuses = agent.runtime.status();
      assert.deepEqual(
        statuses.map((s) => s.id),
        ['inventory'],
      );
      assert.equal(
        agent.status().appliedConfigurationVersion,
        makeConfiguration(computerId, { inventory: { enabled: true, configuration: { intervalSeconds: 3600 } } })
          .version,
      );
      agent.emit({ module: 'probe', type: 'offline', severity: 'high', summary: 'while the manager was away' });
      assert.equal(agent.spool.counters().pendingEvents >= 1, true);
      await manager.restart();
      await manager.until(() => [...manager.events.values()].some((e) => e.type === 'offline'), 30_000);
    } finally {
      await agent.stop();
    }
  });
});
