import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import type { WakeHub } from './wake-hub.js';

const CHANNEL = 'bulwark_wake';
// NOTIFY payloads must stay under 8000 bytes; 150 ids of 36 characters leave room for the envelope.
const IDS_PER_NOTIFY = 150;
const RECONNECT_MS = 2_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WakeRelay {
  close(): Promise<void>;
}

/**
 * Several manager nodes share one PostgreSQL database, and an agent's long-poll may be held by a
 * node other than the one where a wake starts. Each node LISTENs on one channel and NOTIFYs the
 * ids it wakes; a node ignores its own notifications (it already woke its polls locally).
 * If the connection drops, the relay reconnects; meanwhile agents still learn at their heartbeat.
 */
export async function startPostgresWakeRelay(url: string, hub: WakeHub, log: FastifyBaseLogger): Promise<WakeRelay> {
  const node = randomUUID();
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel !== CHANNEL || message.payload === undefined) return;
      const ids = parseNotification(message.payload, node);
      if (ids.length > 0) hub.wakeLocal(ids);
    });
    next.on('error', (error) => {
      log.warn({ err: error }, 'wake relay: connection lost; reconnecting');
      dropped(next);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    client = next;
  };

  const reconnectLater = () => {
    if (closed || retry !== null) return;
    retry = setTimeout(async () => {
      retry = null;
      if (closed) return;
      try {
        await connect();
      } catch (error) {
        log.warn({ err: error }, 'wake relay: reconnect failed');
        reconnectLater();
      }
    }, RECONNECT_MS);
    retry.unref();
  };

  const dropped = (failed: pg.Client) => {
    if (client === failed) client = null;
    failed.end().catch(() => {});
    reconnectLater();
  };

  await connect();
  hub.relayTo((ids) => {
    const current = client;
    if (current === null) return;
    for (let i = 0; i < ids.length; i += IDS_PER_NOTIFY) {
      const payload = JSON.stringify({ node, ids: ids.slice(i, i + IDS_PER_NOTIFY) });
      current.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch((error: unknown) => {
        log.warn({ err: error }, 'wake relay: notify failed; other nodes learn at the next heartbeat');
      });
    }
  });

  return {
    async close() {
      closed = true;
      hub.relayTo(null);
      if (retry !== null) clearTimeout(retry);
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    },
  };
}

/** The computer ids of another node's notification; anything malformed or from this node is dropped. */
export function parseNotification(payload: string, ownNode: string): string[] {
  let message: unknown;
  try {
    message = JSON.parse(payload);
  } catch {
    return [];
  }
  if (typeof message !== 'object' || message === null) return [];
  const { node, ids } = message as { node?: unknown; ids?: unknown };
  if (node === ownNode || !Array.isArray(ids)) return [];
  return ids.filter((id): id is string => typeof id === 'string' && UUID.test(id));
}
