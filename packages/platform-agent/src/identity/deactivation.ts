import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AgentRoutes } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import { ManagerChannel } from '../channel/manager-channel.js';
import { readLocalOptions, resolveLocalOptionsPath } from '../daemon/local-options.js';
import { type AgentLogger, silentLogger } from '../log/json-logger.js';
import { ModuleRuntime, type ModuleRuntimeOptions } from '../modules/module-runtime.js';
import { agentModules } from '../modules/registry.js';
import { readSpoolCounters } from '../spool/event-spool.js';
import { type DeactivationRecord, writeDeactivationRecord } from './deactivation-record.js';
import { readIdentity, removeIdentity, resolveDataDir } from './identity-store.js';

export interface DeactivateOptions {
  readonly dataDir?: string;
  /** Remove the local identity even when the manager cannot be told. */
  readonly force?: boolean;
  readonly timeoutMs?: number;
  /** The modules whose kernel hooks are removed (default: every module of this agent). */
  readonly factories?: ModuleRuntimeOptions['factories'];
  readonly log?: AgentLogger;
}

export type DeactivateResult =
  | {
      readonly ok: true;
      readonly computerId: string;
      readonly managerTold: boolean;
      readonly discardedEvents: number;
      /** Kernel hooks that could not be removed; empty when the host has none of ours left. */
      readonly hooksLeft: DeactivationRecord['hooksLeft'];
    }
  | { readonly ok: false; readonly code: 'not-activated' | 'unreachable' | 'refused'; readonly message: string };

/**
 * Tells the manager (which revokes the certificate), then removes the identity and what belonged
 * to this computer: its spool (events that can no longer be delivered), its configuration and
 * every kernel hook its modules installed (a stopped agent's nft table would otherwise enforce a
 * policy nobody manages). A running daemon notices the identity is gone, removes them too and stops.
 */
export async function deactivateAgent(options: DeactivateOptions = {}): Promise<DeactivateResult> {
  const dataDir = resolveDataDir(options.dataDir);
  const read = readIdentity(dataDir);
  if (read.kind === 'not-activated')
    return { ok: false, code: 'not-activated', message: `not activated (data dir ${dataDir})` };
  if (read.kind === 'damaged' && !options.force) {
    return {
      ok: false,
      code: 'refused',
      message: `identity cannot be read (${read.reason}); use --force to remove it locally`,
    };
  }
  let managerTold = false;
  const computerId = read.kind === 'activated' ? read.identity.computerId : 'unknown';
  if (read.kind === 'activated') {
    const channel = new ManagerChannel({
      managerUrl: read.identity.managerUrl,
      keyPem: read.identity.keyPem,
      certificatePem: read.identity.certificatePem,
      caPem: read.identity.caPem,
    });
    const result = await channel.call('POST', AgentRoutes.deactivate.path, undefined, Type.Unknown(), {
      retries: 2,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    channel.close();
    managerTold = result.ok;
    if (!result.ok && !options.force) {
      return {
        ok: false,
        code: result.status === undefined ? 'unreachable' : 'refused',
        message: `the manager was not told: ${result.message}; use --force to remove the identity locally anyway`,
      };
    }
  }
  const discardedEvents = forgetComputer(dataDir);
  const hooksLeft = await removeKernelHooks(dataDir, options.factories ?? agentModules, options.log);
  writeDeactivationRecord(dataDir, {
    by: 'local',
    at: new Date().toISOString(),
    computerId,
    managerUrl: read.kind === 'activated' ? read.identity.managerUrl : null,
    discardedEvents,
    hooksLeft,
  });
  return { ok: true, computerId, managerTold, discardedEvents, hooksLeft };
}

/**
 * Removes the identity first (a running daemon watches it), then the spool and the configuration.
 * Returns how many events the spool still held: they can no longer be delivered.
 */
export function forgetComputer(dataDir: string): number {
  const discardedEvents = readSpoolCounters(join(dataDir, 'spool.db'))?.pendingEvents ?? 0;
  removeIdentity(dataDir);
  for (const name of ['spool.db', 'spool.db-wal', 'spool.db-shm', 'configuration.json']) {
    rmSync(join(dataDir, name), { force: true });
  }
  return discardedEvents;
}

/** Every module of this agent removes what it installed, from its data dir's record of it. */
export async function removeKernelHooks(
  dataDir: string,
  factories: ModuleRuntimeOptions['factories'],
  log: AgentLogger = silentLogger,
): Promise<DeactivationRecord['hooksLeft']> {
  const runtime = new ModuleRuntime({
    factories,
    dataDir,
    log,
    localOptions: readLocalOptions(resolveLocalOptionsPath()),
    emit: () => {},
    reportInventory: () => {},
  });
  return runtime.removeFromHost();
}
