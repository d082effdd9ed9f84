import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { forwardingEventTimeMigration } from '../forwarding/forwarding-event-time-migration.js';
import { forwardingMigration } from '../forwarding/forwarding-migration.js';
import { certificateRenewalMigration } from './certificate-renewal-migration.js';
import { clusterCaMigration } from './cluster-ca-migration.js';
import { computerCommandsMigration } from './computer-commands-migration.js';
import { eventPartitionsMigration } from './event-partitions-migration.js';
import { hardeningMigration } from './hardening-migration.js';
import { managerNodesMigration } from './manager-nodes-migration.js';
import { rulesMigration } from './rules-migration.js';
import type { Database } from './schema.js';
import { updatePackagesMigration } from './update-packages-migration.js';

/**
 * Migrations live in code (no folder scan) so they ship with the package and run identically on
 * SQLite and PostgreSQL. Names sort in the order they apply; a released migration never changes.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

const TIME = 'bigint';

const initial: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('last_used_at', TIME)
      .addColumn('revoked_at', TIME)
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('csrf_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('expires_at', TIME, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('parent_id', 'text', (c) => c.references('policies.id'))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', TIME, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('policies_parent').on('policies').column('parent_id').execute();

    await db.schema
      .createTable('settings')
      .addColumn('target_kind', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('settings_pk', ['target_kind', 'target_id', 'key'])
      .execute();

    await db.schema
      .createTable('computers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('policy_id', 'text', (c) => c.references('policies.id'))
      .addColumn('last_heartbeat_at', TIME)
      .addColumn('offline_since', TIME)
      .addColumn('applied_config_version', 'text')
      .addColumn('config_version', 'text')
      .addColumn('config_error', 'text')
      .addColumn('module_status_json', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('agent_version', 'text', (c) => c.notNull())
      .addColumn('platform', 'text')
      .addColumn('spool_pending', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('spool_dropped', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('activated_at', TIME, (c) => c.notNull())
      .addColumn('deactivated_at', TIME)
      .addColumn('certificate_serial', 'text')
      .addColumn('inventory_digest', 'text')
      // Derived from the columns above on every change, stored so lists can filter and page on it.
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('updates-pending'))
      .addColumn('status_reason', 'text')
      // Resolved from the platform settings at each recompute, so offline detection is one query.
      .addColumn('heartbeat_interval_seconds', 'integer', (c) => c.notNull().defaultTo(60))
      .addColumn('missed_heartbeats_before_offline', 'integer', (c) => c.notNull().defaultTo(3))
      .execute();
    await db.schema.createIndex('computers_status').on('computers').columns(['status', 'name', 'id']).execute();
    await db.schema.createIndex('computers_policy').on('computers').column('policy_id').execute();
    await db.schema.createIndex('computers_name').on('computers').columns(['name', 'id']).execute();

    await db.schema
      .createTable('computer_inventory')
      .addColumn('computer_id', 'text', (c) => c.primaryKey().references('computers.id').onDelete('cascade'))
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('inventory_json', 'text', (c) => c.notNull())
      .addColumn('collected_at', TIME, (c) => c.notNull())
      .addColumn('received_at', TIME, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('activation_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('expires_at', TIME)
      .addColumn('max_uses', 'integer')
      .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('policy_id', 'text', (c) => c.references('policies.id').onDelete('set null'))
      .addColumn('revoked_at', TIME)
      .addColumn('created_at', TIME, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('revoked_certificates')
      .addColumn('serial', 'text', (c) => c.primaryKey())
      .addColumn('computer_id', 'text')
      .addColumn('revoked_at', TIME, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('computer_id', 'text', (c) => c.notNull().references('computers.id'))
      .addColumn('seq', TIME, (c) => c.notNull())
      .addColumn('time', TIME, (c) => c.notNull())
      .addColumn('received_at', TIME, (c) => c.notNull())
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('severity_rank', 'integer', (c) => c.notNull())
      .addColumn('rule_id', 'text')
      .addColumn('action', 'text')
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('details_json', 'text')
      .addUniqueConstraint('events_computer_seq', ['computer_id', 'seq'])
      .execute();
    await db.schema.createIndex('events_time').on('events').columns(['time', 'id']).execute();
    await db.schema.createIndex('events_computer_time').on('events').columns(['computer_id', 'time']).execute();
    await db.schema.createIndex('events_module_time').on('events').columns(['module', 'time']).execute();
    await db.schema.createIndex('events_rule_time').on('events').columns(['rule_id', 'time']).execute();

    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('computer_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('raised_at', TIME, (c) => c.notNull())
      .addColumn('acknowledged_at', TIME)
      .addColumn('acknowledged_by', 'text')
      .addColumn('cleared_at', TIME)
      .addColumn('cleared_by', 'text')
      .execute();
    // An alert stays the same alert until it is cleared: at most one not-cleared per (type, computer).
    await db.schema
      .createIndex('alerts_one_active')
      .on('alerts')
      .columns(['type', 'computer_id'])
      .unique()
      .where(sql.ref('state'), '<>', 'cleared')
      .execute();
    await db.schema.createIndex('alerts_raised').on('alerts').columns(['raised_at', 'id']).execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('at', TIME, (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_name', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target_kind', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text')
      .addColumn('before_json', 'text')
      .addColumn('after_json', 'text')
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();
    await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target_kind', 'target_id']).execute();
  },
};

export const migrations: Readonly<Record<string, Migration>> = {
  '0001_initial': initial,
  '0002_forwarding': forwardingMigration,
  '0003_rules': rulesMigration,
  '0004_computer_commands': computerCommandsMigration,
  '0005_certificate_renewal': certificateRenewalMigration,
  '0006_hardening': hardeningMigration,
  '0007_cluster_ca': clusterCaMigration,
  '0008_update_packages': updatePackagesMigration,
  '0009_manager_nodes': managerNodesMigration,
  '0010_event_partitions': eventPartitionsMigration,
  '0011_forwarding_event_time': forwardingEventTimeMigration,
};

const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };

/** Brings the schema to the latest migration; throws (a startup failure) with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  // Unordered: migrations are numbered by feature as they are written, so a database may already hold a later one.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
