import type { Generated, Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

/** The tables of forwarding-migration.ts, beside the storage schema (which this package does not own). */
export interface ForwardingTables {
  forwarding_destinations: {
    id: string;
    name: string;
    transport: string;
    host: string;
    port: number;
    format: string;
    modules_json: string | null;
    minimum_severity: string;
    ca_certificate: string | null;
    policy_id: string | null;
    max_backlog: number;
    enabled: number;
    created_at: number;
    updated_at: number;
    cursor_tx: Generated<number>;
    cursor_seq: Generated<number>;
    sent_count: Generated<number>;
    skipped_count: Generated<number>;
    last_sent_at: number | null;
    last_error: string | null;
    last_error_at: number | null;
  };
  forwarding_feed: {
    seq: Generated<number>;
    tx: Generated<number>;
    event_id: string;
    /** The event's time (the partition key of `events`); null for rows older than the column whose event was gone. */
    event_time: number | null;
  };
}

export type ForwardingDatabase = Database & ForwardingTables;

export function forwardingDb(db: Kysely<Database>): Kysely<ForwardingDatabase> {
  return db as unknown as Kysely<ForwardingDatabase>;
}
