import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type AgentModuleFactory, securityConfiguration } from '@bulwark/protocol';
import { silentLogger } from '../log/json-logger.js';
import { ModuleRuntime } from './module-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-hooks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A module with a hook that outlives the process while applied; `failRemoval` makes removal throw. */
function hooked(id: string, log: string[], failRemoval = false): AgentModuleFactory {
  return {
    id,
    create: () => {
      let installed = false;
      return {
        id,
        async apply() {
          installed = true;
        },
        async stop() {
          log.push(`${id}:stop`);
        },
        async removeFromHost() {
          log.push(`${id}:remove`);
          if (failRemoval) throw new Error('nft: Operation not permitted');
          installed = false;
        },
        kernelHooks: () => (installed ? [`${id} table`] : []),
        status: () => ({ id, state: installed ? 'on' : 'off' }),
      };
    },
  };
}

const plain: AgentModuleFactory = {
  id: 'plain',
  create: () => ({
    id: 'plain',
    apply: async () => {},
    stop: async () => {},
    status: () => ({ id: 'plain', state: 'on' }),
  }),
};

function runtime(factories: AgentModuleFactory[]) {
  return new ModuleRuntime({ factories, dataDir: dir, log: silentLogger, emit: () => {}, reportInventory: () => {} });
}

const config = (ids: string[]) =>
  securityConfiguration({
    computerId: 'c1',
    platform: {
      heartbeatIntervalSeconds: 60,
      missedHeartbeatsBeforeOffline: 3,
      networkEngineMode: 'inline',
      failMode: 'open',
      failDeadlineMilliseconds: 200,
      eventSpoolMaxEvents: 1000,
      minimumEventSeverity: 'info',
    },
    modules: Object.fromEntries(ids.map((id) => [id, { enabled: true, configuration: {} }])),
  });

test('the runtime lists the hooks in force, and a plain stop leaves them to the modules', async () => {
  const log: string[] = [];
  const r = runtime([hooked('fw', log), plain]);
  await r.apply(config(['fw', 'plain']));
  assert.deepEqual(r.kernelHooks(), [{ module: 'fw', hook: 'fw table' }]);
  await r.stopAll();
  assert.deepEqual(log, ['fw:stop'], 'stopAll never removes hooks');
});

test('removal asks every module, running or not, and reports the ones that failed', async () => {
  const log: string[] = [];
  const r = runtime([hooked('fw', log), hooked('ips', log, true), plain]);
  // Only fw runs: ips may have left hooks from before a restart, and is asked all the same.
  await r.apply(config(['fw']));
  const failures = await r.removeFromHost();
  assert.deepEqual(log.filter((l) => l.endsWith(':remove')).sort(), ['fw:remove', 'ips:remove']);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]?.module, 'ips');
  assert.match(failures[0]?.reason ?? '', /Operation not permitted/);
  assert.deepEqual(r.kernelHooks(), [], 'every module is stopped after removal');
});
