import { COMMAND_NAME_PATTERN, CommandArguments } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
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

/** Commands to a computer's modules, delivered through its heartbeats. */
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
}
