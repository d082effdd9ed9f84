import { statfsSync } from 'node:fs';
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
  /** Other manager nodes the agent fails over to. */
  readonly alternateManagerUrls?: readonly string[];
  /** The manager nodes the cluster last named (heartbeat answers): failed over to as well. */
  readonly clusterManagerUrls?: readonly string[];
  /** The node the running daemon talks to now. */
  readonly managerNode?: string;
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
  readonly spool: { readonly pendingEvents: number; readonly droppedEvents: number; readonly problem?: string };
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
          ...(identity.identity.alternateManagerUrls
            ? { alternateManagerUrls: identity.identity.alternateManagerUrls }
            : {}),
          ...(identity.identity.clusterManagerUrls ? { clusterManagerUrls: identity.identity.clusterManagerUrls } : {}),
          activatedAt: identity.identity.activatedAt,
        }
      : {}),
    daemon: daemon === null ? 'never-started' : running ? 'running' : 'stopped',
    appliedConfigurationVersion: daemon?.appliedConfigurationVersion ?? null,
    configurationError: daemon?.configurationError ?? null,
    lastContactAt: daemon?.lastContactAt ?? null,
    lastError: daemon?.lastError ?? null,
    ...(running && daemon?.managerNode ? { managerNode: daemon.managerNode } : {}),
    // After a deactivation only the hooks that could not be removed are left.
    kernelHooks: deactivation
      ? deactivation.hooksLeft.map((h) => ({ module: h.module, hook: `not removed: ${h.reason}` }))
      : (daemon?.kernelHooks ?? []),
    ...(deactivation ? { deactivation } : {}),
    modules: daemon?.modules ?? [],
    spool: {
      pendingEvents: spool.pendingEvents,
      // The daemon's count is newer while the disk is full: its losses cannot be committed yet.
      droppedEvents: Math.max(spool.droppedEvents, running ? (daemon?.spool.droppedEvents ?? 0) : 0),
      ...problemOf(running ? daemon?.spool.problem : undefined, dataDir),
    },
  };
}

/** Below this much free space the spool's next commit is likely to fail. */
const LOW_SPACE_BYTES = 1024 * 1024;

/**
 * The daemon's word on its spool, or what the data dir's file system says: on a full disk the
 * daemon cannot rewrite its status file either, so status looks for itself.
 */
function problemOf(daemonProblem: string | undefined, dataDir: string): { problem?: string } {
  if (daemonProblem) return { problem: daemonProblem };
  try {
    const fs = statfsSync(dataDir);
    const free = fs.bavail * fs.bsize;
    if (free < LOW_SPACE_BYTES)
      return {
        problem: `the file system of ${dataDir} is full (${free} bytes free): log sources wait, other events are dropped`,
      };
  } catch {
    // No data dir: nothing to say about its disk.
  }
  return {};
}
