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
      const note = parseNotification(message.payload, node);
      if (note.kind === 'answer') {
        hub.listening(note.request, note.ids);
        return;
      }
      if (note.ids.length === 0) return;
      const woken = hub.wakeLocal(note.ids);
      // Only a node that holds the poll answers: silence means "not here".
      if (note.request !== undefined && woken.length > 0)
        notify({ node, answers: note.request, toNode: note.from, ids: woken });
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

  const notify = (message: object) => {
    const current = client;
    if (current === null) return;
    current.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(message)]).catch((error: unknown) => {
      log.warn({ err: error }, 'wake relay: notify failed; other nodes learn at the next heartbeat');
    });
  };

  await connect();
  hub.relayTo((ids, request) => {
    for (let i = 0; i < ids.length; i += IDS_PER_NOTIFY) {
      notify({ node, ids: ids.slice(i, i + IDS_PER_NOTIFY), ...(request === undefined ? {} : { request }) });
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

export type WakeNotification =
  | { readonly kind: 'wake'; readonly from: string; readonly ids: string[]; readonly request?: string }
  | { readonly kind: 'answer'; readonly request: string; readonly ids: string[] };

const REQUEST = /^q\d{1,15}$/;

/**
 * Another node's notification: a wake (its computer ids, and a request id when it asks who holds
 * the polls), or an answer to one of this node's requests. Anything malformed, our own, or an
 * answer meant for another node is an empty wake.
 */
export function parseNotification(payload: string, ownNode: string): WakeNotification {
  const none: WakeNotification = { kind: 'wake', from: '', ids: [] };
  let message: unknown;
  try {
    message = JSON.parse(payload);
  } catch {
    return none;
  }
  if (typeof message !== 'object' || message === null) return none;
  const { node, ids, request, answers, toNode } = message as Record<string, unknown>;
  if (typeof node !== 'string' || node === ownNode || !Array.isArray(ids)) return none;
  const valid = ids.filter((id): id is string => typeof id === 'string' && UUID.test(id));
  if (answers !== undefined) {
    if (toNode !== ownNode || typeof answers !== 'string' || !REQUEST.test(answers)) return none;
    return { kind: 'answer', request: answers, ids: valid };
  }
  return {
    kind: 'wake',
    from: node,
    ids: valid,
    ...(typeof request === 'string' && REQUEST.test(request) ? { request } : {}),
  };
}
