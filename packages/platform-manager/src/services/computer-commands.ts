import {
  type AgentCommand,
  COMMAND_NAME_PATTERN,
  type CommandOutcome,
  MAX_COMMAND_RESULT_BYTES,
  MAX_COMMANDS_PER_HEARTBEAT,
  parseWith,
} from '@bulwark/protocol';
import type { Selectable } from 'kysely';
import type { ComputerCommandsTables } from '../storage/computer-commands-migration.js';
import { recordAudit } from './audit.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { newOrderedId } from './ids.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import { type Page, type PageRequest, pageLimit } from './pagination.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import type { Actor } from './roles.js';
import { iso } from './time.js';

/** The list's order: newest first. */
const NEWEST_FIRST = keyset('desc', ['created_at', 'number'], ['id', 'string']);

export const COMMAND_STATUSES = ['queued', 'sent', 'succeeded', 'failed'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** A queued command the agent has not fetched by then fails: whoever asked should not wait forever. */
export const COMMAND_PICKUP_DEADLINE_MS = 60 * 60 * 1000;
/** A sent command with no outcome by then fails (the agent restarted while running it, say). */
export const COMMAND_RUN_DEADLINE_MS = 6 * 60 * 60 * 1000;
const MAX_ARGUMENTS_BYTES = 16 * 1024;
const NAME = new RegExp(COMMAND_NAME_PATTERN);

export interface ComputerCommand {
  readonly id: string;
  readonly computerId: string;
  readonly module: string;
  readonly command: string;
  readonly arguments: Record<string, unknown>;
  readonly status: CommandStatus;
  readonly message: string | null;
  readonly result: unknown;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly sentAt: string | null;
  readonly finishedAt: string | null;
  readonly expiresAt: string;
}

export interface NewCommand {
  readonly module: string;
  readonly command: string;
  readonly arguments?: Record<string, unknown>;
}

type CommandRow = Selectable<ComputerCommandsTables['computer_commands']>;

function present(row: CommandRow): ComputerCommand {
  return {
    id: row.id,
    computerId: row.computer_id,
    module: row.module,
    command: row.command,
    arguments: JSON.parse(row.arguments_json) as Record<string, unknown>,
    status: row.status as CommandStatus,
    message: row.message,
    result: row.result_json === null ? null : JSON.parse(row.result_json),
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    sentAt: iso(row.sent_at),
    finishedAt: iso(row.finished_at),
    expiresAt: iso(row.expires_at),
  };
}

/** Fails the computer's commands that are past their deadline; lazily, whenever its commands are touched. */
async function expire(db: Executor, computerId: string, now: number): Promise<void> {
  const hours = (ms: number) => `${ms / 3_600_000} h`;
  for (const [status, message] of [
    [
      'queued',
      `expired: the agent did not fetch the command within ${hours(COMMAND_PICKUP_DEADLINE_MS)}; is the computer online?`,
    ],
    [
      'sent',
      `no outcome from the agent within ${hours(COMMAND_RUN_DEADLINE_MS)} of sending it (the agent may have restarted while running it)`,
    ],
  ] as const) {
    await db
      .updateTable('computer_commands')
      .set({ status: 'failed', message, finished_at: now })
      .where('computer_id', '=', computerId)
      .where('status', '=', status)
      .where('expires_at', '<', now)
      .execute();
  }
}

export function computerCommandsService(ctx: ServiceContext) {
  /** Checks the module and command against what the manager knows of them. */
  function check(input: NewCommand): Result<Record<string, unknown>> {
    const known = ctx.modules.map((m) => m.id);
    const module = ctx.modules.find((m) => m.id === input.module);
    if (module === undefined)
      return fail('validation', `unknown module "${input.module}"; known modules: ${known.join(', ')}`);
    if (typeof input.command !== 'string' || !NAME.test(input.command))
      return fail('validation', 'command must be lower-case letters, digits and dashes, e.g. "scan"');
    const args = input.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args))
      return fail('validation', 'arguments must be an object');
    if (JSON.stringify(args).length > MAX_ARGUMENTS_BYTES)
      return fail('validation', `arguments must be at most ${MAX_ARGUMENTS_BYTES} bytes as JSON`);
    const declared = module.commands;
    if (declared !== undefined) {
      const definition = declared.find((c) => c.name === input.command);
      if (definition === undefined) {
        const names = declared.map((c) => c.name);
        return fail(
          'validation',
          `module ${input.module} has no command "${input.command}"; its commands: ${names.join(', ') || 'none'}`,
        );
      }
      if (definition.arguments !== undefined) {
        const parsed = parseWith(definition.arguments, args);
        if (!parsed.ok)
          return fail(
            'validation',
            `arguments of ${input.module} ${input.command} do not fit`,
            parsed.issues.map((i) => ({ path: `/arguments${i.path === '/' ? '' : i.path}`, message: i.message })),
          );
      }
    }
    return ok(args as Record<string, unknown>);
  }

  async function create(computerId: string, input: NewCommand, actor: Actor): Promise<Result<ComputerCommand>> {
    const checked = check(input);
    if (!checked.ok) return checked;
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const computer = await trx
          .selectFrom('computers')
          .select(['id', 'deactivated_at'])
          .where('id', '=', computerId)
          .executeTakeFirst();
        if (!computer) abort('not-found', `computer ${computerId} not found`);
        if (computer.deactivated_at !== null)
          abort('conflict', `computer ${computerId} is deactivated; its agent takes no commands`);
        const now = ctx.now();
        const row: CommandRow = {
          id: newOrderedId(now),
          computer_id: computerId,
          module: input.module,
          command: input.command,
          arguments_json: JSON.stringify(checked.value),
          status: 'queued',
          message: null,
          result_json: null,
          created_by: actor.name,
          created_at: now,
          sent_at: null,
          finished_at: null,
          expires_at: now + COMMAND_PICKUP_DEADLINE_MS,
        };
        await trx.insertInto('computer_commands').values(row).execute();
        const command = present(row);
        await recordAudit(trx, now, actor, 'computer.command', { kind: 'computer', id: computerId }, null, command);
        return command;
      }),
    );
  }

  async function list(computerId: string, page: PageRequest = {}): Promise<Result<Page<ComputerCommand>>> {
    const limit = pageLimit(page);
    if (!limit.ok) return limit;
    return guarded(async () => {
      const computer = await ctx.db
        .selectFrom('computers')
        .select('id')
        .where('id', '=', computerId)
        .executeTakeFirst();
      if (!computer) abort('not-found', `computer ${computerId} not found`);
      await expire(ctx.db, computerId, ctx.now());
      const select = ctx.db.selectFrom('computer_commands').selectAll().where('computer_id', '=', computerId);
      const paged = keysetQuery(select, NEWEST_FIRST, page);
      if (!paged.ok) return abort('validation', paged.error.message);
      return keysetToPage(await paged.value.query.execute(), paged.value.limit, NEWEST_FIRST, present);
    });
  }

  async function get(computerId: string, commandId: string): Promise<Result<ComputerCommand>> {
    return guarded(async () => {
      await expire(ctx.db, computerId, ctx.now());
      const row = await ctx.db
        .selectFrom('computer_commands')
        .selectAll()
        .where('computer_id', '=', computerId)
        .where('id', '=', commandId)
        .executeTakeFirst();
      return row ? present(row) : abort('not-found', `computer ${computerId} has no command ${commandId}`);
    });
  }

  /**
   * The commands to hand the agent in this heartbeat's answer, marked sent in the caller's
   * transaction. An agent that does not take commands fails them at once instead of letting them
   * wait for the deadline.
   */
  async function takePending(
    db: Executor,
    computerId: string,
    agent: { acceptsCommands: boolean; agentVersion: string },
  ): Promise<AgentCommand[]> {
    const now = ctx.now();
    // One indexed read on every heartbeat; writes only when there is something to do.
    const open = await db
      .selectFrom('computer_commands')
      .select(['id', 'status', 'expires_at'])
      .where('computer_id', '=', computerId)
      .where('status', 'in', ['queued', 'sent'])
      .execute();
    if (open.some((r) => r.expires_at < now)) await expire(db, computerId, now);
    const queued = open.filter((r) => r.status === 'queued' && r.expires_at >= now);
    if (queued.length === 0) return [];
    if (!agent.acceptsCommands) {
      await db
        .updateTable('computer_commands')
        .set({
          status: 'failed',
          message: `the agent (version ${agent.agentVersion}) does not take commands; upgrade it`,
          finished_at: now,
        })
        .where('computer_id', '=', computerId)
        .where('status', '=', 'queued')
        .execute();
      return [];
    }
    const rows = await db
      .selectFrom('computer_commands')
      .selectAll()
      .where('computer_id', '=', computerId)
      .where('status', '=', 'queued')
      .orderBy('created_at')
      .orderBy('id')
      .limit(MAX_COMMANDS_PER_HEARTBEAT)
      .execute();
    if (rows.length === 0) return [];
    await db
      .updateTable('computer_commands')
      .set({ status: 'sent', sent_at: now, expires_at: now + COMMAND_RUN_DEADLINE_MS })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .where('status', '=', 'queued')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      module: r.module,
      command: r.command,
      arguments: JSON.parse(r.arguments_json) as Record<string, unknown>,
    }));
  }

  /** The agent's report. Idempotent: the first outcome stored wins, a repeat answers what is held. */
  async function recordOutcome(
    computerId: string,
    commandId: string,
    outcome: CommandOutcome,
  ): Promise<Result<{ id: string; status: CommandStatus }>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await trx
          .selectFrom('computer_commands')
          .select(['id', 'status'])
          .where('computer_id', '=', computerId)
          .where('id', '=', commandId)
          .executeTakeFirst();
        if (!row) abort('not-found', `this computer has no command ${commandId}`);
        if (row.status === 'succeeded' || row.status === 'failed')
          return { id: row.id, status: row.status as CommandStatus };
        let resultJson = outcome.result === undefined ? null : JSON.stringify(outcome.result);
        let message = outcome.message ?? null;
        if (resultJson !== null && Buffer.byteLength(resultJson) > MAX_COMMAND_RESULT_BYTES) {
          resultJson = null;
          message = `${message ? `${message}; ` : ''}result dropped: larger than ${MAX_COMMAND_RESULT_BYTES} bytes`;
        }
        await trx
          .updateTable('computer_commands')
          .set({ status: outcome.status, result_json: resultJson, message, finished_at: ctx.now() })
          .where('id', '=', commandId)
          .execute();
        return { id: row.id, status: outcome.status };
      }),
    );
  }

  return { create, list, get, takePending, recordOutcome };
}

export type ComputerCommandsService = ReturnType<typeof computerCommandsService>;
