import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

const TIME = 'bigint';

/**
 * Update packages (docs/update-packages.md): one row per imported version of a kind, its content
 * in chunks of UPDATE_CHUNK_BYTES as base64 text (the same column type on SQLite and PostgreSQL,
 * and a download chunk is one row), and what each computer last reported for each kind.
 */
export const updatePackagesMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('update_packages')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('signer_public_key', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      // Rolled back by an administrator: no longer named to agents; the newest other version is.
      .addColumn('withdrawn_at', TIME)
      .addColumn('withdrawn_by', 'text')
      .addPrimaryKeyConstraint('update_packages_pk', ['kind', 'version'])
      .execute();
    await db.schema
      .createTable('update_package_chunks')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('chunk', 'integer', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('update_package_chunks_pk', ['kind', 'version', 'chunk'])
      .execute();
    await db.schema
      .createTable('computer_updates')
      .addColumn('computer_id', 'text', (c) => c.notNull().references('computers.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('version', 'integer')
      .addColumn('previous', 'integer')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('reported_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('computer_updates_pk', ['computer_id', 'kind'])
      .execute();
  },
};

export interface UpdatePackagesTables {
  update_packages: {
    kind: string;
    version: number;
    sha256: string;
    size: number;
    signature: string;
    signer_public_key: string;
    note: string;
    created_at: number;
    created_by: string;
    withdrawn_at: number | null;
    withdrawn_by: string | null;
  };
  update_package_chunks: { kind: string; version: number; chunk: number; data: string };
  computer_updates: {
    computer_id: string;
    kind: string;
    version: number | null;
    previous: number | null;
    state: string;
    reason: string | null;
    reported_at: number;
  };
}
