import { Readable } from 'node:stream';
import { Severity } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IdParams, IsoTime, PageOf, PageQuery, problemResponses, Uuid } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import { eventsAsCsv, eventsAsJson } from '../event-export-format.js';
import { listedEvent } from '../event-list-view.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { sendResult, sendServiceError } from '../service-types.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);

const StoredEvent = Type.Object({
  id: Type.String(),
  computerId: Type.String(),
  seq: Type.Integer(),
  time: IsoTime,
  agentTime: Type.String({
    format: 'date-time',
    description: "The agent's time; differs from `time` when that was clamped",
  }),
  receivedAt: IsoTime,
  module: Type.String(),
  type: Type.String(),
  severity: Severity,
  ruleId: NullableString,
  action: NullableString,
  summary: Type.String(),
  details: Type.Unknown(),
});

const ListedEvent = Type.Composite([
  StoredEvent,
  Type.Object({
    computerName: Type.Union([Type.String(), Type.Null()]),
    assignableRuleId: Type.Union([Type.String(), Type.Null()], {
      description:
        'The catalogue rule to assign, exclude or override for this event: ruleId itself, or the rule that runs it (log inspection: 100302 → loginspect.su)',
    }),
    truncated: Type.Boolean({
      description: 'details were shortened for the list; GET /api/events/{id} has them whole',
    }),
  }),
]);

const EventFilter = {
  from: Type.Optional(IsoTime),
  to: Type.Optional(IsoTime),
  computerId: Type.Optional(Uuid),
  module: Type.Optional(Type.String({ maxLength: 64 })),
  ruleId: Type.Optional(Type.String({ maxLength: 128 })),
  severity: Type.Optional(Severity),
  type: Type.Optional(Type.String({ maxLength: 128 })),
};

/** Event search (paged, newest first) and export (streamed CSV or JSON, same filters). */
export async function eventRoutes(scope: FastifyInstance, { services }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();

  app.get(
    '/api/events',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['events'],
        querystring: Type.Object({ ...EventFilter, ...PageQuery }, { additionalProperties: false }),
        response: { 200: PageOf(ListedEvent), ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await services.events.query(request.query), (page) => ({
        items: page.items.map(listedEvent),
        nextCursor: page.nextCursor,
      })),
  );

  app.get(
    '/api/events/export',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['events'],
        querystring: Type.Object(
          { ...EventFilter, format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')])) },
          { additionalProperties: false },
        ),
        response: {
          200: { description: 'text/csv, or application/json (an array), streamed newest first' },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { format = 'csv', ...filter } = request.query;
      const result = services.events.export(filter);
      if (!result.ok) return sendServiceError(reply, result.error);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      reply.header('content-disposition', `attachment; filename="bulwark-events-${stamp}.${format}"`);
      reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
      const body = format === 'csv' ? eventsAsCsv(result.value) : eventsAsJson(result.value);
      return reply.send(Readable.from(body));
    },
  );

  app.get(
    '/api/events/:id',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['events'],
        params: IdParams,
        response: {
          200: Type.Composite([
            StoredEvent,
            Type.Object({
              computerName: Type.Union([Type.String(), Type.Null()]),
              assignableRuleId: Type.Union([Type.String(), Type.Null()]),
            }),
          ]),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => sendResult(reply, await services.events.get(request.params.id)),
  );
}
