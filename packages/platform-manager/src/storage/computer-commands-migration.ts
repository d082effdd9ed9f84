import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

const TIME = 'bigint';

/**
 * Commands from the manager to a module on one agent, and the copies of module snapshots
 * (e.g. integrity baselines) agents upload. Snapshot entries are keyed by their position in the
 * agent's key order, not by the key itself: keys are file paths of up to 4 KiB, longer than a
 * PostgreSQL btree entry may be. A snapshot's entries of a version being uploaded sit beside the
 * complete version until its last page arrives, so a reader always sees one whole version.
 */
export const computerCommandsMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('computer_commands')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('computer_id', 'text', (c) => c.notNull().references('computers.id').onDelete('cascade'))
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('command', 'text', (c) => c.notNull())
      .addColumn('arguments_json', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('message', 'text')
      .addColumn('result_json', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('sent_at', TIME)
      .addColumn('finished_at', TIME)
      .addColumn('expires_at', TIME, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('computer_commands_list')
      .on('computer_commands')
      .columns(['computer_id', 'created_at', 'id'])
      .execute();
    await db.schema
      .createIndex('computer_commands_pending')
      .on('computer_commands')
      .columns(['computer_id', 'status', 'created_at'])
      .execute();

    await db.schema
      .createTable('module_snapshots')
      .addColumn('computer_id', 'text', (c) => c.notNull().references('computers.id').onDelete('cascade'))
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      // The complete version readers see; null until the first upload finishes.
      .addColumn('version', 'text')
      .addColumn('built_at', 'text')
      .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('stored', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('received_at', TIME)
      // The version being uploaded, while its pages arrive.
      .addColumn('pending_version', 'text')
      .addColumn('pending_built_at', 'text')
      .addColumn('pending_total', 'integer')
      .addColumn('offered_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('module_snapshots_pk', ['computer_id', 'module', 'name'])
      .execute();

    await db.schema
      .createTable('module_snapshot_entries')
      .addColumn('computer_id', 'text', (c) => c.notNull())
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('entity_key', 'text', (c) => c.notNull())
      .addColumn('key_base64', 'text')
      .addColumn('value_json', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('module_snapshot_entries_pk', ['computer_id', 'module', 'name', 'version', 'position'])
      .addForeignKeyConstraint(
        'module_snapshot_entries_snapshot',
        ['computer_id', 'module', 'name'],
        'module_snapshots',
        ['computer_id', 'module', 'name'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();
  },
};

/** The tables above, as Kysely sees them (same column conventions as schema.ts). */
export interface ComputerCommandsTables {
  computer_commands: {
    id: string;
    computer_id: string;
    module: string;
    command: string;
    arguments_json: string;
    status: string;
    message: string | null;
    result_json: string | null;
    created_by: string;
    created_at: number;
    sent_at: number | null;
    finished_at: number | null;
    expires_at: number;
  };
  module_snapshots: {
    computer_id: string;
    module: string;
    name: string;
    version: string | null;
    built_at: string | null;
    total: number;
    stored: number;
    received_at: number | null;
    pending_version: string | null;
    pending_built_at: string | null;
    pending_total: number | null;
    offered_at: number;
  };
  module_snapshot_entries: {
    computer_id: string;
    module: string;
    name: string;
    version: string;
    position: number;
    entity_key: string;
    key_base64: string | null;
    value_json: string;
  };
}
