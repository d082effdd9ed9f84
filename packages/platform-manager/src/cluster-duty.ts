import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { Database } from './storage/schema.js';

/** Advisory-lock key space of cluster-wide duties; "BWDU". The second key is the duty's. */
const DUTY_LOCK_SPACE = 0x42574455;

/** A stable 31-bit key for a duty's name, so every node computes the same one. */
function dutyKey(name: string): number {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (Math.imul(hash, 31) + name.charCodeAt(i)) | 0;
  return hash & 0x7fffffff;
}

/**
 * Runs `work` on one manager node at a time: on PostgreSQL, shared by a cluster, only the node
 * that takes the duty's transaction lock runs it (the others skip this turn, `false`); the lock
 * is held by an open transaction until the work ends, and released if the node dies. Work that
 * every node would otherwise repeat (retention, offline checks) then scales with nodes instead.
 * On SQLite there is one node: it always runs.
 */
export async function asClusterDuty(db: Kysely<Database>, name: string, work: () => Promise<void>): Promise<boolean> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) {
    await work();
    return true;
  }
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ taken: boolean }>`
      select pg_try_advisory_xact_lock(${DUTY_LOCK_SPACE}, ${dutyKey(name)}) as taken`.execute(trx);
    if (rows[0]?.taken !== true) return false;
    await work();
    return true;
  });
}
