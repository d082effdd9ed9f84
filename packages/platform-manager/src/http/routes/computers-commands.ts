import { COMMAND_NAME_PATTERN, CommandArguments } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { SnapshotSummary } from '../../services/index.js';
import { IdParams, IsoTime, NullableIsoTime, PageOf, PageQuery, problemResponses, Uuid } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const ComputerCommand = Type.Object({
  id: Type.String(),
  computerId: Type.String(),
  module: Type.String(),
  command: Type.String(),
  arguments: Type.Record(Type.String(), Type.Unknown()),
  status: Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('succeeded'), Type.Literal('failed')]),
  message: NullableString,
  result: Type.Unknown({ description: "What the module's run() answered; null until it succeeded" }),
  createdBy: Type.String(),
  createdAt: IsoTime,
  sentAt: NullableIsoTime,
  finishedAt: NullableIsoTime,
  expiresAt: IsoTime,
});

const NewCommand = Type.Object(
  {
    module: Type.String({ pattern: COMMAND_NAME_PATTERN }),
    command: Type.String({ pattern: COMMAND_NAME_PATTERN }),
    arguments: Type.Optional(CommandArguments),
  },
  { additionalProperties: false },
);

const CommandParams = Type.Object({ id: Uuid, commandId: Uuid }, { additionalProperties: false });

const BaselineRule = Type.Object({
  ruleId: Type.String(),
  version: Type.String(),
  builtAt: NullableString,
  entries: Type.Integer({ description: 'Entries in the baseline on the agent' }),
  stored: Type.Integer({ description: 'Entries the manager keeps (the first ones in key order)' }),
  truncated: Type.Boolean(),
  note: NullableString,
  receivedAt: NullableIsoTime,
});

const BaselineEntry = Type.Object({
  key: Type.String({ description: 'File path (escaped where not UTF-8) or entity name' }),
  keyBase64: Type.Optional(Type.String()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
});

const BaselineQuery = Type.Object(
  { rule: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), ...PageQuery },
  { additionalProperties: false },
);

const BaselineAnswer = Type.Object({
  rules: Type.Array(BaselineRule),
  items: Type.Optional(Type.Array(BaselineEntry)),
  nextCursor: Type.Optional(NullableString),
});

function baselineRule(s: SnapshotSummary) {
  return {
    ruleId: s.name,
    version: s.version,
    builtAt: s.builtAt,
    entries: s.total,
    stored: s.stored,
    truncated: s.truncated,
    note: s.note,
    receivedAt: s.receivedAt,
  };
}

/** The module whose snapshots are baselines; the one place the platform's HTTP layer names it. */
const INTEGRITY = 'integrity';

/** Commands to a computer's modules (delivered through its heartbeats), and the integrity baseline copy. */
export async function computerCommandRoutes(
  scope: FastifyInstance,
  { services, wakeHub }: ConsoleRouteContext,
): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();

  app.post(
    '/api/computers/:id/commands',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['computers'],
        params: IdParams,
        body: NewCommand,
        response: { 201: ComputerCommand, ...problemResponses },
      },
    },
    async (request, reply) => {
      const result = await services.computerCommands.create(
        request.params.id,
        request.body,
        actorOf(request.principal),
      );
      // The agent fetches commands with its heartbeat: ask for one now.
      if (result.ok) wakeHub.wake([request.params.id]);
      return sendResult(reply, result, (command) => command, 201);
    },
  );
  app.get(
    '/api/computers/:id/commands',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['computers'],
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(ComputerCommand), ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.computerCommands.list(request.params.id, request.query)),
  );
  app.get(
    '/api/computers/:id/commands/:commandId',
    {
      config: { role: 'auditor' },
      schema: { tags: ['computers'], params: CommandParams, response: { 200: ComputerCommand, ...problemResponses } },
    },
    async (request, reply) =>
      sendResult(reply, await services.computerCommands.get(request.params.id, request.params.commandId)),
  );
  app.get(
    '/api/computers/:id/integrity/baseline',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['computers'],
        params: IdParams,
        querystring: BaselineQuery,
        response: { 200: BaselineAnswer, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { rule, limit, cursor } = request.query;
      if (rule === undefined) {
        return sendResult(reply, await services.computerSnapshots.list(request.params.id, INTEGRITY), (rules) => ({
          rules: rules.map(baselineRule),
        }));
      }
      const page = await services.computerSnapshots.entries(request.params.id, INTEGRITY, rule, {
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return sendResult(reply, page, (p) => ({
        rules: [baselineRule(p)],
        items: p.items.map((e) => ({
          key: e.key,
          ...(e.keyBase64 === undefined ? {} : { keyBase64: e.keyBase64 }),
          attributes: e.value,
        })),
        nextCursor: p.nextCursor,
      }));
    },
  );
}
