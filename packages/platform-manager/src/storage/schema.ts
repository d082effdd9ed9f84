/**
 * The manager's tables as Kysely sees them. Column types are chosen to be identical on SQLite and
 * PostgreSQL: text ids (UUID), JSON as text, times as integer epoch milliseconds (int8 on
 * PostgreSQL, read back as numbers), no native booleans.
 */
import type { Generated, Insertable, Selectable } from 'kysely';
import type { ClusterCaTables } from './cluster-ca-migration.js';
import type { ComputerCommandsTables } from './computer-commands-migration.js';
import type { ManagerNodesTables } from './manager-nodes-migration.js';
import type { RulesTables } from './rules-schema.js';
import type { UpdatePackagesTables } from './update-packages-migration.js';

export interface UsersTable {
  id: string;
  username: string;
  role: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
  /** 1 until the user sets a password of their own (the first administrator's was printed). */
  must_change_password: Generated<number>;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  role: string;
  secret_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  csrf_hash: string;
  created_at: number;
  expires_at: number;
}

export interface PoliciesTable {
  id: string;
  name: string;
  parent_id: string | null;
  description: string;
  created_at: number;
}

export interface SettingsTable {
  target_kind: 'policy' | 'computer';
  target_id: string;
  key: string;
  value_json: string;
  updated_at: number;
}

export interface ComputersTable {
  id: string;
  hostname: string;
  name: string;
  description: string;
  policy_id: string | null;
  last_heartbeat_at: number | null;
  offline_since: number | null;
  applied_config_version: string | null;
  config_version: string | null;
  config_error: string | null;
  module_status_json: string;
  agent_version: string;
  platform: string | null;
  spool_pending: number;
  spool_dropped: number;
  activated_at: number;
  deactivated_at: number | null;
  certificate_serial: string | null;
  /** Signed for a renewal and not used yet (services/certificate-renewal.ts). */
  pending_certificate_serial: string | null;
  inventory_digest: string | null;
  status: string;
  status_reason: string | null;
  heartbeat_interval_seconds: number;
  missed_heartbeats_before_offline: number;
}

export interface ComputerInventoryTable {
  computer_id: string;
  digest: string;
  inventory_json: string;
  collected_at: number;
  received_at: number;
}

export interface ActivationTokensTable {
  id: string;
  name: string;
  token_hash: string;
  expires_at: number | null;
  max_uses: number | null;
  uses: Generated<number>;
  policy_id: string | null;
  revoked_at: number | null;
  created_at: number;
}

export interface RevokedCertificatesTable {
  serial: string;
  computer_id: string | null;
  revoked_at: number;
}

export interface EventsTable {
  id: string;
  computer_id: string;
  seq: number;
  time: number;
  received_at: number;
  module: string;
  type: string;
  severity: string;
  severity_rank: number;
  rule_id: string | null;
  action: string | null;
  summary: string;
  details_json: string | null;
  /** The agent's time when it was outside the accepted window (then `time` is clamped); null otherwise. */
  agent_time: number | null;
}

export interface AlertsTable {
  id: string;
  type: string;
  computer_id: string;
  state: 'open' | 'acknowledged' | 'cleared';
  message: string;
  raised_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  cleared_at: number | null;
  cleared_by: string | null;
}

export interface AuditLogTable {
  id: string;
  at: number;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_kind: string;
  target_id: string | null;
  before_json: string | null;
  after_json: string | null;
}

export interface Database
  extends RulesTables,
    ComputerCommandsTables,
    ClusterCaTables,
    UpdatePackagesTables,
    ManagerNodesTables {
  users: UsersTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  policies: PoliciesTable;
  settings: SettingsTable;
  computers: ComputersTable;
  computer_inventory: ComputerInventoryTable;
  activation_tokens: ActivationTokensTable;
  revoked_certificates: RevokedCertificatesTable;
  events: EventsTable;
  alerts: AlertsTable;
  audit_log: AuditLogTable;
}

export type UserRow = Selectable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type PolicyRow = Selectable<PoliciesTable>;
export type ComputerRow = Selectable<ComputersTable>;
export type ActivationTokenRow = Selectable<ActivationTokensTable>;
export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type AlertRow = Selectable<AlertsTable>;
export type AuditRow = Selectable<AuditLogTable>;
