import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  type AgentModuleFactory,
  type ModuleConfiguration,
  type NewEvent,
  type SecurityConfiguration,
  securityConfiguration,
} from '@bulwark/protocol';
import { silentLogger } from '../log/json-logger.js';
import type { AgentModuleEntry } from './module-entry.js';
import { ModuleRuntime, type ModuleRuntimeOptions } from './module-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-runtime-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configuration(modules: Record<string, ModuleConfiguration>): SecurityConfiguration {
  return securityConfiguration({
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
    modules,
  });
}

/** A module whose behaviour each test scripts through its configuration. */
function scripted(id: string, log: string[]): AgentModuleFactory {
  return {
    id,
    create: (context) => {
      let state: 'on' | 'off' = 'off';
      return {
        id,
        async apply(config) {
          const behaviour = (config.configuration as { behaviour?: string } | undefined)?.behaviour;
          log.push(`${id}:apply:${behaviour ?? 'ok'}`);
          if (behaviour === 'throw') throw new Error('cannot open /dev/thing');
          if (behaviour === 'hang') await new Promise(() => {});
          if (behaviour === 'emit') context.emit({ module: id, type: 't', severity: 'low', summary: 'hello' });
          if (behaviour === 'save') context.writeStateFile('state.json', `saved by ${id}`);
          state = config.enabled ? 'on' : 'off';
        },
        async stop() {
          log.push(`${id}:stop`);
          state = 'off';
        },
        status() {
          if (state === 'on' && id === 'flaky') throw new Error('status exploded');
          return { id, state };
        },
      };
    },
  };
}

function runtimeOf(factories: AgentModuleFactory[], options: Partial<ModuleRuntimeOptions> = {}): ModuleRuntime {
  return new ModuleRuntime({
    factories,
    dataDir: dir,
    log: silentLogger,
    emit: () => {},
    reportInventory: () => {},
    ...options,
  });
}

describe('ModuleRuntime', () => {
  it('isolates a module that throws, hangs or fails status(): the others still apply and report', async () => {
    const log: string[] = [];
    const events: NewEvent[] = [];
    const runtime = runtimeOf(
      [scripted('good', log), scripted('bad', log), scripted('slow', log), scripted('flaky', log)],
      { emit: (e) => events.push(e), operationTimeoutMs: 200 },
    );
    await runtime.apply(
      configuration({
        bad: { enabled: true, configuration: { behaviour: 'throw' } },
        slow: { enabled: true, configuration: { behaviour: 'hang' } },
        good: { enabled: true, configuration: { behaviour: 'emit' } },
        flaky: { enabled: true, configuration: {} },
        absent: { enabled: true, configuration: {} },
      }),
    );
    const byId = new Map(runtime.status().map((s) => [s.id, s]));
    assert.equal(byId.get('good')?.state, 'on');
    assert.equal(byId.get('bad')?.state, 'error');
    assert.match(byId.get('bad')?.reason ?? '', /apply failed: cannot open \/dev\/thing/);
    assert.equal(byId.get('slow')?.state, 'error');
    assert.match(byId.get('slow')?.reason ?? '', /did not finish within 200 ms/);
    assert.equal(byId.get('flaky')?.state, 'error');
    assert.match(byId.get('flaky')?.reason ?? '', /status exploded/);
    assert.equal(byId.get('absent')?.state, 'unavailable');
    assert.ok(events.some((e) => e.module === 'good' && e.summary === 'hello'));
    const errors = events
      .filter((e) => e.type === 'module-error')
      .map((e) => (e.details as { moduleId: string }).moduleId);
    assert.deepEqual(errors.sort(), ['bad', 'slow']);
  });

  it('stops modules the configuration no longer names, and a fixed module recovers', async () => {
    const log: string[] = [];
    const runtime = runtimeOf([scripted('a', log), scripted('b', log)]);
    await runtime.apply(
      configuration({
        a: { enabled: true, configuration: {} },
        b: { enabled: true, configuration: { behaviour: 'throw' } },
      }),
    );
    assert.equal(runtime.status().find((s) => s.id === 'b')?.state, 'error');
    await runtime.apply(configuration({ b: { enabled: true, configuration: {} } }));
    assert.ok(log.includes('a:stop'));
    assert.deepEqual(runtime.status(), [{ id: 'b', state: 'on' }]);
    await runtime.stopAll();
    assert.deepEqual(runtime.status(), []);
  });

  it('gives each module a state-file writer for its own data directory', async () => {
    const runtime = runtimeOf([scripted('a', []), scripted('b', [])]);
    await runtime.apply(
      configuration({
        a: { enabled: true, configuration: { behaviour: 'save' } },
        b: { enabled: true, configuration: { behaviour: 'save' } },
      }),
    );
    assert.deepEqual(
      runtime.status().map((s) => s.state),
      ['on', 'on'],
    );
    for (const id of ['a', 'b']) {
      const path = join(dir, 'modules', id, 'state.json');
      assert.equal(readFileSync(path, 'utf8'), `saved by ${id}`);
      assert.equal(statSync(path).mode & 0o777, 0o600);
    }
    await runtime.stopAll();
  });

  it('loads a module only when it is on, or off but may have left something on the host', async () => {
    const home = mkdtempSync(join(dir, 'lazy-'));
    const loads: string[] = [];
    const log: string[] = [];
    const lazy = (id: string): AgentModuleEntry => ({
      id,
      load: async () => {
        loads.push(id);
        return scripted(id, log);
      },
    });
    const restart = () => runtimeOf([], { factories: [lazy('a'), lazy('b')], dataDir: home });
    const inUse = () => JSON.parse(readFileSync(join(home, 'modules-in-use.json'), 'utf8')).modules;
    const both = (a: ModuleConfiguration, b: ModuleConfiguration) => configuration({ a, b });
    const on = { enabled: true, configuration: {} };
    const off = { enabled: false, configuration: {} };

    // a on, b off and never run here: b is reported off without its code being imported.
    let runtime = restart();
    await runtime.apply(both(on, off));
    assert.deepEqual(loads, ['a']);
    assert.deepEqual(runtime.status(), [
      { id: 'a', state: 'on' },
      { id: 'b', state: 'off' },
    ]);
    assert.deepEqual(inUse(), ['a']);
    assert.equal(existsSync(join(home, 'modules', 'b')), false);
    await runtime.stopAll();

    // After a restart a is off: loaded once more to switch itself off, which it does cleanly.
    runtime = restart();
    await runtime.apply(both(off, off));
    assert.deepEqual(loads, ['a', 'a']);
    assert.equal(log.at(-1), 'a:apply:ok');
    assert.deepEqual(inUse(), []);
    await runtime.stopAll();

    // Nothing of a is left: the next start loads neither.
    runtime = restart();
    await runtime.apply(both(off, off));
    assert.deepEqual(loads, ['a', 'a']);
    assert.deepEqual(
      runtime.status().map((s) => s.state),
      ['off', 'off'],
    );

    // A module that fails to switch off stays in use, and is loaded again at the next start.
    await runtime.apply(both(on, off));
    await runtime.apply(both({ enabled: false, configuration: { behaviour: 'throw' } }, off));
    assert.deepEqual(inUse(), ['a']);
  });

  it('an agent without the record (from before it existed) counts every module with a data directory as in use', async () => {
    const home = mkdtempSync(join(dir, 'upgraded-'));
    mkdirSync(join(home, 'modules', 'b'), { recursive: true });
    const loads: string[] = [];
    const lazy = (id: string): AgentModuleEntry => ({
      id,
      load: async () => {
        loads.push(id);
        return scripted(id, []);
      },
    });
    const runtime = runtimeOf([], { factories: [lazy('a'), lazy('b')], dataDir: home });
    await runtime.apply(
      configuration({ a: { enabled: false, configuration: {} }, b: { enabled: false, configuration: {} } }),
    );
    assert.deepEqual(loads, ['b']);
    assert.deepEqual(JSON.parse(readFileSync(join(home, 'modules-in-use.json'), 'utf8')).modules, []);
  });

  it('a module whose code cannot be loaded is reported as an error, and the others run', async () => {
    const runtime = runtimeOf([], {
      factories: [
        { id: 'broken', load: async () => Promise.reject(new Error('Cannot find module chunk-X.js')) },
        scripted('good', []),
      ],
      dataDir: mkdtempSync(join(dir, 'broken-')),
    });
    await runtime.apply(
      configuration({ broken: { enabled: true, configuration: {} }, good: { enabled: true, configuration: {} } }),
    );
    const byId = new Map(runtime.status().map((s) => [s.id, s]));
    assert.equal(byId.get('good')?.state, 'on');
    assert.equal(byId.get('broken')?.state, 'error');
    assert.match(byId.get('broken')?.reason ?? '', /could not start: Cannot find module chunk-X\.js/);
  });
});
