import assert from 'node:assert/strict';
import type { ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { Store } from '../storage/open-database.js';
import type { TestStore } from '../storage/test-stores.js';
import { createServices, type Services } from './index.js';
import type { Result } from './result.js';
import type { Actor } from './roles.js';

/** A module for tests only: three settings and a compile that reflects them and the platform. */
export const sampleModule: ManagerModule = {
  id: 'sample',
  name: 'Sample',
  description: 'Test module',
  settings: Type.Object(
    {
      enabled: Type.Boolean({ default: true }),
      level: Type.Integer({ minimum: 0, maximum: 10, default: 5 }),
      mode: Type.Union([Type.Literal('a'), Type.Literal('b')], { default: 'a' }),
    },
    { additionalProperties: false },
  ),
  compile: ({ settings, platform }) => ({
    level: (settings as { level: number }).level,
    mode: (settings as { mode: string }).mode,
    detectOnly: platform.networkEngineMode === 'tap',
  }),
};

export const alice: Actor = { kind: 'user', id: '00000000-0000-4000-8000-00000000a11c', name: 'alice' };

export interface TestServices {
  readonly store: Store;
  readonly services: Services;
  readonly clock: { now(): number; advance(ms: number): void };
  close(): Promise<void>;
}

export const START = Date.parse('2026-01-01T00:00:00.000Z');

export async function openTestServices(testStore: TestStore, modules: readonly ManagerModule[] = [sampleModule]) {
  const store = await testStore.open();
  let now = START;
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
  const services = createServices({ db: store.db, modules, now: clock.now });
  return { store, services, clock, close: () => store.close() } satisfies TestServices;
}

/** The value of a result that must have succeeded; the error's message otherwise. */
export function must<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected success, got ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

export function mustFail<T>(result: Result<T>, kind: string, message?: RegExp): string {
  if (result.ok) assert.fail(`expected ${kind}, got success`);
  assert.equal(result.error.kind, kind, result.error.message);
  if (message) assert.match(result.error.message, message);
  return result.error.message;
}

/** Activates a computer through a fresh token, as an agent would. */
export async function activateComputer(services: Services, hostname: string, policyId: string | null = null) {
  const { token } = must(await services.activationTokens.create({ name: `for ${hostname}`, policyId }, alice));
  return must(await services.computers.activate({ token, hostname, agentVersion: '0.1.0', platform: 'Debian 12' }))
    .computerId;
}
