import type { ModuleStatus } from '@bulwark/protocol';
import type { ComputerRow } from '../storage/schema.js';
import type { Executor } from './context.js';

export const COMPUTER_STATUSES = ['managed', 'updates-pending', 'offline', 'error', 'deactivated'] as const;
export type ComputerStatus = (typeof COMPUTER_STATUSES)[number];

type StatusInputs = Pick<
  ComputerRow,
  | 'deactivated_at'
  | 'offline_since'
  | 'last_heartbeat_at'
  | 'config_error'
  | 'module_status_json'
  | 'applied_config_version'
  | 'config_version'
>;

/**
 * What the console shows for a computer, most important first: deactivated, offline, error
 * (configuration not applied, or a module in error, with its reason), updates pending, managed.
 */
export function deriveStatus(row: StatusInputs): { status: ComputerStatus; reason: string | null } {
  if (row.deactivated_at !== null) return { status: 'deactivated', reason: null };
  if (row.offline_since !== null) {
    const last = row.last_heartbeat_at === null ? 'never' : new Date(row.last_heartbeat_at).toISOString();
    return { status: 'offline', reason: `no heartbeat since ${last}` };
  }
  if (row.config_error) return { status: 'error', reason: `security configuration not applied: ${row.config_error}` };
  const failing = parseModules(row.module_status_json).filter((m) => m.state === 'error');
  if (failing.length > 0) {
    return {
      status: 'error',
      reason: failing.map((m) => `${m.id}: ${m.reason ?? 'error without a reason'}`).join('; '),
    };
  }
  if (row.applied_config_version !== row.config_version) {
    return {
      status: 'updates-pending',
      reason: row.applied_config_version === null ? 'waiting for the first configuration' : null,
    };
  }
  return { status: 'managed', reason: null };
}

export function parseModules(json: string): ModuleStatus[] {
  try {
    const value = JSON.parse(json);
    return Array.isArray(value) ? (value as ModuleStatus[]) : [];
  } catch {
    return [];
  }
}

export type ComputerPatch = Partial<Omit<ComputerRow, 'id' | 'status' | 'status_reason'>>;

/** Writes a change to a computer together with the status it implies; returns the new row. */
export async function saveComputer(db: Executor, row: ComputerRow, patch: ComputerPatch): Promise<ComputerRow> {
  const merged = { ...row, ...patch };
  const { status, reason } = deriveStatus(merged);
  const next: ComputerRow = { ...merged, status, status_reason: reason };
  await db
    .updateTable('computers')
    .set({ ...patch, status, status_reason: reason })
    .where('id', '=', row.id)
    .execute();
  return next;
}
