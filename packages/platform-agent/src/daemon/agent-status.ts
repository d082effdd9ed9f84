import { join } from 'node:path';
import type { ModuleStatus } from '@bulwark/protocol';
import { type DeactivationRecord, readDeactivationRecord } from '../identity/deactivation-record.js';
import { readIdentity, resolveDataDir } from '../identity/identity-store.js';
import { readSpoolCounters } from '../spool/event-spool.js';
import { processAlive, readDaemonStatus } from './status-file.js';

export interface AgentStatusReport {
  readonly dataDir: string;
  readonly activated: boolean;
  readonly problem?: string;
  readonly computerId?: string;
  readonly managerUrl?: string;
  readonly activatedAt?: string;
  readonly daemon: 'running' | 'stopped' | 'never-started';
  readonly appliedConfigurationVersion: string | null;
  readonly configurationError: string | null;
  readonly lastContactAt: string | null;
  readonly lastError: string | null;
  /** Kernel hooks of ours in force, as the daemon last saw them (a stopped agent's stay). */
  readonly kernelHooks: readonly { readonly module: string; readonly hook: string }[];
  /** When not activated because it was deactivated: by whom, when, and what was left. */
  readonly deactivation?: DeactivationRecord;
  readonly modules: readonly ModuleStatus[];
  readonly spool: { readonly pendingEvents: number; readonly droppedEvents: number };
}

/** What `bulwark-agent status` shows, from local state only: works when the manager is unreachable. */
export function readAgentStatus(dataDirOption?: string): AgentStatusReport {
  const dataDir = resolveDataDir(dataDirOption);
  const identity = readIdentity(dataDir);
  const daemon = readDaemonStatus(dataDir);
  const spool = readSpoolCounters(join(dataDir, 'spool.db')) ?? daemon?.spool ?? { pendingEvents: 0, droppedEvents: 0 };
  const running = daemon?.running === true && processAlive(daemon.pid);
  const deactivation = identity.kind === 'not-activated' ? readDeactivationRecord(dataDir) : null;
  return {
    dataDir,
    activated: identity.kind === 'activated',
    ...(identity.kind === 'damaged' ? { problem: identity.reason } : {}),
    ...(identity.kind === 'activated'
      ? {
          computerId: identity.identity.computerId,
          managerUrl: identity.identity.managerUrl,
          activatedAt: identity.identity.activatedAt,
        }
      : {}),
    daemon: daemon === null ? 'never-started' : running ? 'running' : 'stopped',
    appliedConfigurationVersion: daemon?.appliedConfigurationVersion ?? null,
    configurationError: daemon?.configurationError ?? null,
    lastContactAt: daemon?.lastContactAt ?? null,
    lastError: daemon?.lastError ?? null,
    // After a deactivation only the hooks that could not be removed are left.
    kernelHooks: deactivation
      ? deactivation.hooksLeft.map((h) => ({ module: h.module, hook: `not removed: ${h.reason}` }))
      : (daemon?.kernelHooks ?? []),
    ...(deactivation ? { deactivation } : {}),
    modules: daemon?.modules ?? [],
    spool: { pendingEvents: spool.pendingEvents, droppedEvents: spool.droppedEvents },
  };
}
