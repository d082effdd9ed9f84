import { X509Certificate } from 'node:crypto';
import { describeIssues, parseWith, type Severity } from '@bulwark/protocol';
import type { Kysely } from 'kysely';
import { recordAudit } from '../services/audit.js';
import { inTransaction } from '../services/context.js';
import { newId } from '../services/ids.js';
import { fail, ok, type Result } from '../services/result.js';
import type { Actor } from '../services/roles.js';
import { iso } from '../services/time.js';
import type { Database } from '../storage/schema.js';
import {
  DEFAULT_MAX_BACKLOG,
  type Destination,
  DestinationChange,
  type DestinationStatus,
  NewDestination,
} from './destination-schema.js';
import type { ForwardingFormat } from './event-message.js';
import { countMatching, type FeedFilter, feedEnd, policyScope } from './forwarding-feed.js';
import { type ForwardingDatabase, type ForwardingTables, forwardingDb } from './forwarding-tables.js';

type DestinationRow = ForwardingTables['forwarding_destinations'] & {
  cursor_tx: number;
  cursor_seq: number;
  sent_count: number;
  skipped_count: number;
};

export function presentDestination(row: DestinationRow): Destination {
  return {
    id: row.id,
    name: row.name,
    transport: row.transport as Destination['transport'],
    host: row.host,
    port: Number(row.port),
    format: row.format as ForwardingFormat,
    modules: row.modules_json === null ? null : (JSON.parse(row.modules_json) as string[]),
    minimumSeverity: row.minimum_severity as Severity,
    caCertificate: row.ca_certificate,
    policyId: row.policy_id,
    maxBacklog: Number(row.max_backlog),
    enabled: Number(row.enabled) === 1,
    createdAt: iso(Number(row.created_at)),
    updatedAt: iso(Number(row.updated_at)),
  };
}

export async function destinationFilter(db: Kysely<ForwardingDatabase>, destination: Destination): Promise<FeedFilter> {
  return {
    modules: destination.modules,
    minimumSeverity: destination.minimumSeverity,
    policyIds: await policyScope(db, destination.policyId),
  };
}

/** Checks what a schema cannot: a CA only for TLS and parseable, a policy that exists. */
async function checkDestination(db: Kysely<ForwardingDatabase>, d: Destination): Promise<Result<void>> {
  if (d.caCertificate !== null) {
    if (d.transport !== 'tls') return fail('validation', 'caCertificate applies to the tls transport only');
    try {
      new X509Certificate(d.caCertificate);
    } catch {
      return fail('validation', 'caCertificate is not a PEM X.509 certificate');
    }
  }
  if (d.policyId !== null) {
    const policy = await db.selectFrom('policies').select('id').where('id', '=', d.policyId).executeTakeFirst();
    if (!policy) return fail('not-found', `policy ${d.policyId} not found`);
  }
  return ok(undefined);
}

function toColumns(d: Destination) {
  return {
    name: d.name,
    transport: d.transport,
    host: d.host,
    port: d.port,
    format: d.format,
    modules_json: d.modules === null ? null : JSON.stringify([...new Set(d.modules)]),
    minimum_severity: d.minimumSeverity,
    ca_certificate: d.caCertificate,
    policy_id: d.policyId,
    max_backlog: d.maxBacklog,
    enabled: d.enabled ? 1 : 0,
  };
}

/**
 * SIEM destinations: CRUD (audited) and the queue status. Lives beside the forwarder, over the
 * same database as the other services; `now` is epoch milliseconds.
 */
export function destinationsService(database: Kysely<Database>, now: () => number = Date.now) {
  const db = forwardingDb(database);

  async function row(id: string): Promise<DestinationRow | undefined> {
    return (await db.selectFrom('forwarding_destinations').selectAll().where('id', '=', id).executeTakeFirst()) as
      | DestinationRow
      | undefined;
  }

  async function create(input: unknown, actor: Actor): Promise<Result<Destination>> {
    const parsed = parseWith(NewDestination, input);
    if (!parsed.ok)
      return fail('validation', `invalid forwarding destination: ${describeIssues(parsed.issues)}`, parsed.issues);
    const at = now();
    const destination: Destination = {
      id: newId(),
      name: parsed.value.name,
      transport: parsed.value.transport,
      host: parsed.value.host,
      port: parsed.value.port,
      format: parsed.value.format,
      modules: parsed.value.modules ?? null,
      minimumSeverity: parsed.value.minimumSeverity ?? 'info',
      caCertificate: parsed.value.caCertificate ?? null,
      policyId: parsed.value.policyId ?? null,
      maxBacklog: parsed.value.maxBacklog ?? DEFAULT_MAX_BACKLOG,
      enabled: parsed.value.enabled ?? true,
      createdAt: iso(at),
      updatedAt: iso(at),
    };
    const checked = await checkDestination(db, destination);
    if (!checked.ok) return checked;
    await inTransaction(database, async (trx) => {
      const start = await feedEnd(forwardingDb(trx));
      await forwardingDb(trx)
        .insertInto('forwarding_destinations')
        .values({
          id: destination.id,
          ...toColumns(destination),
          created_at: at,
          updated_at: at,
          cursor_tx: start.tx,
          cursor_seq: start.seq,
        })
        .execute();
      await recordAudit(
        trx,
        at,
        actor,
        'forwarding-destination.create',
        { kind: 'forwarding-destination', id: destination.id },
        null,
        destination,
      );
    });
    return ok(destination);
  }

  async function get(id: string): Promise<Result<Destination>> {
    const found = await row(id);
    return found ? ok(presentDestination(found)) : fail('not-found', `forwarding destination ${id} not found`);
  }

  async function list(): Promise<Result<Destination[]>> {
    const rows = await db.selectFrom('forwarding_destinations').selectAll().orderBy('name').orderBy('id').execute();
    return ok(rows.map((r) => presentDestination(r as DestinationRow)));
  }

  async function update(id: string, change: unknown, actor: Actor): Promise<Result<Destination>> {
    const parsed = parseWith(DestinationChange, change);
    if (!parsed.ok)
      return fail(
        'validation',
        `invalid forwarding destination change: ${describeIssues(parsed.issues)}`,
        parsed.issues,
      );
    const found = await row(id);
    if (!found) return fail('not-found', `forwarding destination ${id} not found`);
    const before = presentDestination(found);
    const at = now();
    const after: Destination = { ...before, ...(parsed.value as Partial<Destination>), id, updatedAt: iso(at) };
    const checked = await checkDestination(db, after);
    if (!checked.ok) return checked;
    await inTransaction(database, async (trx) => {
      const resumed = !before.enabled && after.enabled ? await feedEnd(forwardingDb(trx)) : null;
      await forwardingDb(trx)
        .updateTable('forwarding_destinations')
        .set({
          ...toColumns(after),
          updated_at: at,
          ...(resumed === null ? {} : { cursor_tx: resumed.tx, cursor_seq: resumed.seq }),
        })
        .where('id', '=', id)
        .execute();
      await recordAudit(
        trx,
        at,
        actor,
        'forwarding-destination.update',
        { kind: 'forwarding-destination', id },
        before,
        after,
      );
    });
    return ok(after);
  }

  async function remove(id: string, actor: Actor): Promise<Result<void>> {
    const found = await row(id);
    if (!found) return fail('not-found', `forwarding destination ${id} not found`);
    await inTransaction(database, async (trx) => {
      await forwardingDb(trx).deleteFrom('forwarding_destinations').where('id', '=', id).execute();
      await recordAudit(
        trx,
        now(),
        actor,
        'forwarding-destination.delete',
        { kind: 'forwarding-destination', id },
        presentDestination(found),
        null,
      );
    });
    return ok(undefined);
  }

  async function status(id: string): Promise<Result<DestinationStatus>> {
    const found = await row(id);
    if (!found) return fail('not-found', `forwarding destination ${id} not found`);
    const destination = presentDestination(found);
    const backlog = await countMatching(db, await destinationFilter(db, destination), {
      tx: Number(found.cursor_tx),
      seq: Number(found.cursor_seq),
    });
    return ok({
      id,
      backlog,
      sent: Number(found.sent_count),
      skipped: Number(found.skipped_count),
      lastSentAt: found.last_sent_at === null ? null : iso(Number(found.last_sent_at)),
      lastError: found.last_error,
      lastErrorAt: found.last_error_at === null ? null : iso(Number(found.last_error_at)),
    });
  }

  return { create, get, list, update, delete: remove, status };
}

export type DestinationsService = ReturnType<typeof destinationsService>;
