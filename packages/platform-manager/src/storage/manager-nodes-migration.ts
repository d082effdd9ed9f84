import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

/**
 * The manager nodes of the cluster, one row per running node: each renews its lease while it runs
 * and deletes its row when it stops; a node that died drops out when its lease ends. Agents are
 * handed the agent-facing URLs of the live nodes with each heartbeat answer (cluster-nodes.ts).
 */
export const managerNodesMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('manager_nodes')
      .addColumn('node_id', 'text', (c) => c.primaryKey())
      .addColumn('agent_url', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_expires_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

export interface ManagerNodesTables {
  manager_nodes: {
    node_id: string;
    agent_url: string;
    started_at: number;
    lease_expires_at: number;
  };
}
