import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bulwark/host-files';
import type { ModuleStatus, UpdateReport } from '@bulwark/protocol';

/** What the daemon tells `bulwark-agent status` about itself; rewritten atomically after each heartbeat. */
export interface DaemonStatus {
  readonly pid: number;
  readonly running: boolean;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly appliedConfigurationVersion: string | null;
  readonly configurationError: string | null;
  readonly lastContactAt: string | null;
  readonly lastError: string | null;
  /** The manager node the agent talks to now (another than identity's managerUrl after a failover). */
  readonly managerNode?: string;
  readonly heartbeatIntervalSeconds: number;
  /** Kernel hooks of ours enforcing on the host (after a plain stop they stay, and are listed). */
  readonly kernelHooks?: readonly { readonly module: string; readonly hook: string }[];
  readonly modules: readonly ModuleStatus[];
  /** Update packages in use, per kind (update-sync.ts). */
  readonly updates?: readonly UpdateReport[];
  readonly spool: {
    readonly pendingEvents: number;
    readonly droppedEvents: number;
    readonly clippedEvents: number;
    /** The spool cannot write (a full disk): sources wait, other events are counted as dropped. */
    readonly problem?: string;
  };
}

export const statusPath = (dataDir: string) => join(dataDir, 'status.json');

export function writeDaemonStatus(dataDir: string, status: DaemonStatus): void {
  // 0600 like every file of the data dir: it names the manager, modules and their reasons.
  writeFileAtomic(statusPath(dataDir), `${JSON.stringify(status, null, 2)}\n`, 0o600);
}

export function readDaemonStatus(dataDir: string): DaemonStatus | null {
  try {
    return JSON.parse(readFileSync(statusPath(dataDir), 'utf8')) as DaemonStatus;
  } catch {
    return null;
  }
}

/** Whether the process that wrote the status still exists (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
