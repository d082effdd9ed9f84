import type { HeartbeatRequest, HeartbeatResponse, ModuleStatus } from '@bulwark/protocol';
import { sql } from 'kysely';
import type { ComputerRow } from '../storage/schema.js';
import { consumeActivationToken } from './activation-tokens.js';
import { AlertTypes, clearAlerts, raiseAlert } from './alerts.js';
import { recordAudit } from './audit.js';
import { computerCommandsService } from './computer-commands.js';
import { COMPUTER_STATUSES, type ComputerStatus, deriveStatus, parseModules, saveComputer } from './computer-status.js';
import { type ConfigurationService, serialiseConfigurationChanges } from './configuration.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { newId } from './ids.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import type { Page, PageRequest } from './pagination.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import type { Actor } from './roles.js';
import { describeProblems, problemIssuesAt, refuseNewProblems } from './rules-check.js';
import { iso } from './time.js';

/** The list's order: by name, the id deciding between equal names. */
const BY_NAME = keyset('asc', ['name', 'string'], ['id', 'string']);

export interface Computer {
  readonly id: string;
  readonly hostname: string;
  readonly name: string;
  readonly description: string;
  readonly policyId: string | null;
  readonly status: ComputerStatus;
  readonly statusReason: string | null;
  readonly lastHeartbeatAt: string | null;
  readonly appliedConfigurationVersion: string | null;
  readonly configurationVersion: string | null;
  readonly modules: ModuleStatus[];
  readonly agentVersion: string;
  readonly platform: string | null;
  readonly activatedAt: string;
  readonly deactivatedAt: string | null;
  readonly certificateSerial: string | null;
}

export interface ComputerQuery extends PageRequest {
  readonly policyId?: string;
  readonly status?: ComputerStatus;
  /** Name or hostname contains, case-insensitive. */
  readonly q?: string;
}

export function presentComputer(row: ComputerRow): Computer {
  return {
    id: row.id,
    hostname: row.hostname,
    name: row.name,
    description: row.description,
    policyId: row.policy_id,
    status: row.status as ComputerStatus,
    statusReason: row.status_reason,
    lastHeartbeatAt: iso(row.last_heartbeat_at),
    appliedConfigurationVersion: row.applied_config_version,
    configurationVersion: row.config_version,
    modules: parseModules(row.module_status_json),
    agentVersion: row.agent_version,
    platform: row.platform,
    activatedAt: iso(row.activated_at),
    deactivatedAt: iso(row.deactivated_at),
    certificateSerial: row.certificate_serial,
  };
}

async function findComputer(db: Executor, id: string): Promise<ComputerRow> {
  const row = await db.selectFrom('computers').selectAll().where('id', '=', id).executeTakeFirst();
  return row ?? abort('not-found', `computer ${id} not found`);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function computersService(ctx: ServiceContext, configuration: ConfigurationService) {
  const commands = computerCommandsService(ctx);
  /**
   * First contact of an agent: checks and uses the activation token and creates the computer in
   * the token's policy. The HTTP layer signs the agent's certificate next and calls recordCertificate.
   */
  async function activate(input: {
    token: string;
    hostname: string;
    agentVersion: string;
    platform?: string;
  }): Promise<Result<{ computerId: string; heartbeatIntervalSeconds: number }>> {
    if (typeof input.hostname !== 'string' || input.hostname.length < 1 || input.hostname.length > 253) {
      return fail('validation', 'hostname must be 1 to 253 characters');
    }
    if (typeof input.agentVersion !== 'string' || input.agentVersion.length > 64) {
      return fail('validation', 'agentVersion must be at most 64 characters');
    }
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const now = ctx.now();
        const token = await consumeActivationToken(trx, input.token, now);
        const id = newId();
        const blank: ComputerRow = {
          id,
          hostname: input.hostname,
          name: input.hostname,
          description: '',
          policy_id: token.policy_id,
          last_heartbeat_at: null,
          offline_since: null,
          applied_config_version: null,
          config_version: null,
          config_error: null,
          module_status_json: '[]',
          agent_version: input.agentVersion,
          platform: input.platform ?? null,
          spool_pending: 0,
          spool_dropped: 0,
          activated_at: now,
          deactivated_at: null,
          certificate_serial: null,
          pending_certificate_serial: null,
          inventory_digest: null,
          status: 'updates-pending',
          status_reason: null,
          heartbeat_interval_seconds: 60,
          missed_heartbeats_before_offline: 3,
        };
        const { status, reason } = deriveStatus(blank);
        await trx
          .insertInto('computers')
          .values({ ...blank, status, status_reason: reason })
          .execute();
        await configuration.recompute({ computerIds: [id] }, trx);
        const row = await findComputer(trx, id);
        await recordAudit(
          trx,
          now,
          { kind: 'system', id: token.id, name: `activation token ${token.name}` },
          'computer.activate',
          { kind: 'computer', id },
          null,
          presentComputer(row),
        );
        return { computerId: id, heartbeatIntervalSeconds: row.heartbeat_interval_seconds };
      }),
    );
  }

  /** Remembers the serial of the certificate signed for the computer; a replaced serial is revoked. */
  async function recordCertificate(computerId: string, serial: string): Promise<Result<void>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await findComputer(trx, computerId);
        if (row.certificate_serial !== null && row.certificate_serial !== serial) {
          await revokeSerial(trx, row.certificate_serial, computerId, ctx.now());
        }
        await trx.updateTable('computers').set({ certificate_serial: serial }).where('id', '=', computerId).execute();
      }),
    );
  }

  async function heartbeat(computerId: string, request: HeartbeatRequest): Promise<Result<HeartbeatResponse>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        let row = await findComputer(trx, computerId);
        if (row.deactivated_at !== null)
          abort('forbidden', `computer ${computerId} is deactivated; activate the agent again`);
        const now = ctx.now();
        if (row.config_version === null) {
          await configuration.recompute({ computerIds: [computerId] }, trx);
          row = await findComputer(trx, computerId);
        }
        const wasOffline = row.offline_since !== null;
        const saved = await saveComputer(trx, row, {
          last_heartbeat_at: now,
          offline_since: null,
          applied_config_version: request.appliedConfigurationVersion,
          config_error: request.configurationError ?? null,
          module_status_json: JSON.stringify(request.modules),
          agent_version: request.agentVersion,
          spool_pending: request.spool.pendingEvents,
          spool_dropped: request.spool.droppedEvents,
        });
        if (wasOffline) await clearAlerts(trx, now, AlertTypes.computerOffline, computerId, 'heartbeat');
        // The agent lost events (its spool full, or its disk): they will never arrive.
        const lost = request.spool.droppedEvents - row.spool_dropped;
        if (lost > 0)
          await raiseAlert(
            trx,
            now,
            AlertTypes.eventsLost,
            computerId,
            `the agent lost ${lost} events (${request.spool.droppedEvents} in all)${
              request.spool.problem ? `: ${request.spool.problem}` : ''
            }`.slice(0, 2048),
          );
        const pending = await commands.takePending(trx, computerId, {
          acceptsCommands: request.acceptsCommands === true,
          agentVersion: request.agentVersion,
        });
        return {
          configurationVersion: saved.config_version ?? '',
          heartbeatIntervalSeconds: saved.heartbeat_interval_seconds,
          sendInventory: request.inventoryDigest !== undefined && request.inventoryDigest !== saved.inventory_digest,
          // Only when there are some: the field is new, and the answer stays what older agents parse.
          ...(pending.length > 0 ? { commands: pending } : {}),
        };
      }),
    );
  }

  async function get(id: string): Promise<Result<Computer>> {
    return guarded(async () => presentComputer(await findComputer(ctx.db, id)));
  }

  async function list(query: ComputerQuery = {}): Promise<Result<Page<Computer>>> {
    if (query.status !== undefined && !COMPUTER_STATUSES.includes(query.status)) {
      return fail('validation', `status must be one of ${COMPUTER_STATUSES.join(', ')}`);
    }
    let select = ctx.db.selectFrom('computers').selectAll();
    if (query.policyId !== undefined) select = select.where('policy_id', '=', query.policyId);
    if (query.status !== undefined) select = select.where('status', '=', query.status);
    if (query.q !== undefined && query.q !== '') {
      const pattern = `%${escapeLike(query.q.toLowerCase())}%`;
      // SQLite has no default LIKE escape character; naming one keeps both dialects the same.
      select = select.where(
        sql<boolean>`(lower(name) like ${pattern} escape '\\' or lower(hostname) like ${pattern} escape '\\')`,
      );
    }
    const paged = keysetQuery(select, BY_NAME, query);
    if (!paged.ok) return paged;
    return ok(keysetToPage(await paged.value.query.execute(), paged.value.limit, BY_NAME, presentComputer));
  }

  async function update(
    id: string,
    changes: { name?: string; description?: string; policyId?: string | null },
    actor: Actor,
  ): Promise<Result<{ computer: Computer; changedComputerIds: string[] }>> {
    if (
      changes.name !== undefined &&
      (typeof changes.name !== 'string' || changes.name.trim() === '' || changes.name.length > 253)
    ) {
      return fail('validation', 'computer name must be 1 to 253 characters');
    }
    if (
      changes.description !== undefined &&
      (typeof changes.description !== 'string' || changes.description.length > 4096)
    ) {
      return fail('validation', 'computer description must be at most 4096 characters');
    }
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const row = await findComputer(trx, id);
        const policyId = changes.policyId === undefined ? row.policy_id : changes.policyId;
        let destination = 'no policy';
        if (policyId !== null && policyId !== row.policy_id) {
          const policy = await trx.selectFrom('policies').select('name').where('id', '=', policyId).executeTakeFirst();
          destination = policy ? `policy ${policy.name}` : abort('not-found', `policy ${policyId} not found`);
        }
        const patch = {
          name: changes.name?.trim() ?? row.name,
          description: changes.description ?? row.description,
          policy_id: policyId,
        };
        if (policyId !== row.policy_id) {
          // In another policy the computer inherits other settings (firewall lists, …): refuse a
          // move that would leave rules in force on it unenforceable, naming them (and it, by the
          // name it has now: the rename comes after).
          const move = () => trx.updateTable('computers').set({ policy_id: policyId }).where('id', '=', id).execute();
          await refuseNewProblems(trx, ctx, ctx.modules, [{ kind: 'computer', id }], {}, move, (problems) =>
            abort(
              'conflict',
              `moving computer ${row.name} to ${destination} would leave rules in ` +
                `force on it unenforceable, so nothing was changed: ${describeProblems(problems)}. ` +
                'Change or unassign those rules, or add what they refer to in the new policy, first',
              problemIssuesAt(problems, '/policyId'),
            ),
          );
        }
        await trx.updateTable('computers').set(patch).where('id', '=', id).execute();
        const changedComputerIds =
          policyId !== row.policy_id ? await configuration.recompute({ computerIds: [id] }, trx) : [];
        const next = await findComputer(trx, id);
        await recordAudit(
          trx,
          ctx.now(),
          actor,
          'computer.update',
          { kind: 'computer', id },
          presentComputer(row),
          presentComputer(next),
        );
        return { computer: presentComputer(next), changedComputerIds };
      }),
    );
  }

  /** Ends the computer's membership: its certificate is revoked; its events and history stay. */
  async function deactivate(id: string, actor: Actor): Promise<Result<Computer>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await findComputer(trx, id);
        if (row.deactivated_at !== null) return presentComputer(row);
        const now = ctx.now();
        if (row.certificate_serial !== null) await revokeSerial(trx, row.certificate_serial, id, now);
        const next = await saveComputer(trx, row, { deactivated_at: now, offline_since: null });
        await trx
          .updateTable('alerts')
          .set({ state: 'cleared', cleared_at: now, cleared_by: 'deactivation' })
          .where('computer_id', '=', id)
          .where('state', '<>', 'cleared')
          .execute();
        await recordAudit(
          trx,
          now,
          actor,
          'computer.deactivate',
          { kind: 'computer', id },
          presentComputer(row),
          presentComputer(next),
        );
        return presentComputer(next);
      }),
    );
  }

  async function isCertificateRevoked(serial: string): Promise<boolean> {
    const row = await ctx.db
      .selectFrom('revoked_certificates')
      .select('serial')
      .where('serial', '=', serial)
      .executeTakeFirst();
    return row !== undefined;
  }

  return { activate, recordCertificate, heartbeat, get, list, update, deactivate, isCertificateRevoked };
}

async function revokeSerial(db: Executor, serial: string, computerId: string, now: number): Promise<void> {
  await db
    .insertInto('revoked_certificates')
    .values({ serial, computer_id: computerId, revoked_at: now })
    .onConflict((oc) => oc.column('serial').doNothing())
    .execute();
}

export type ComputersService = ReturnType<typeof computersService>;
