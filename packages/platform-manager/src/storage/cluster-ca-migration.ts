import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

/**
 * The CA of the manager nodes that share this database, in one row (`id` = 1): every node checks
 * its own CA against it at start, so two nodes can never sign agents with different CAs. The key
 * is kept only sealed with the cluster key (`key_box`, AES-256-GCM); null when the first node had
 * no cluster key, in which case other nodes must be given the CA files by hand.
 */
export const clusterCaMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('cluster_ca')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('cert_pem', 'text', (c) => c.notNull())
      .addColumn('key_box', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

export interface ClusterCaTables {
  cluster_ca: {
    id: number;
    fingerprint: string;
    cert_pem: string;
    key_box: string | null;
    created_at: number;
  };
}
