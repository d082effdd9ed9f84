import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManagerModule } from '@bulwark/protocol';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadOrCreatePki, type ManagerPki } from '../pki/certificate-authority.js';
import { openTestServices, type TestServices } from '../services/test-services.js';
import type { TestStore } from '../storage/test-stores.js';
import { defaultListenerLimits } from './connection-guard.js';
import { buildConsoleServer } from './console-server.js';
import { ManagerMetrics } from './manager-metrics.js';
import { WakeHub } from './wake-hub.js';

/** Test services behind the real console server, which has its own PKI in a temporary data dir. */
export interface TestConsole extends TestServices {
  readonly app: FastifyInstance;
  /** The temporary data dir (the PKI is in its pki/ folder, as in the manager's); close() removes it. */
  readonly dir: string;
  readonly pki: ManagerPki;
  /** A request through app.inject with `key` as the bearer API key. */
  request(
    key: string,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
  ): Promise<LightMyRequestResponse>;
  /** Closes the server and the store and removes the data dir. */
  close(): Promise<void>;
}

export async function openTestConsole(
  store: TestStore,
  modules: readonly ManagerModule[],
  wakeHub: WakeHub = new WakeHub(),
): Promise<TestConsole> {
  const t = await openTestServices(store, modules);
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-test-console-'));
    const pki = await loadOrCreatePki(join(dir, 'pki'));
    const app = await buildConsoleServer({
      services: t.services,
      wakeHub,
      version: 'test',
      tls: { key: pki.serverKeyPem, cert: pki.serverCertPem },
      logger: false,
      metrics: new ManagerMetrics(),
      connectionLimits: defaultListenerLimits().console,
    });
    const dataDir = dir;
    return {
      ...t,
      app,
      dir: dataDir,
      pki,
      request: (key, method, url, payload) =>
        app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${key}` },
          ...(payload === undefined ? {} : { payload: payload as object }),
        }),
      async close() {
        await app.close();
        await t.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    // The caller has nothing to close yet.
    await t.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
