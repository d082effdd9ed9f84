import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IdParams, IsoTime, NullableIsoTime, PageOf, PageQuery, problemResponses } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

const AlertState = Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('cleared')]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

const Alert = Type.Object({
  id: Type.String(),
  type: Type.String(),
  computerId: NullableString,
  state: AlertState,
  message: Type.String(),
  raisedAt: IsoTime,
  acknowledgedAt: NullableIsoTime,
  acknowledgedBy: NullableString,
  clearedAt: NullableIsoTime,
  clearedBy: NullableString,
});

/** Alerts (e.g. a computer gone offline): list, acknowledge, clear. */
export async function alertRoutes(scope: FastifyInstance, { services }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();

  app.get(
    '/api/alerts',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['alerts'],
        querystring: Type.Object({ state: Type.Optional(AlertState), ...PageQuery }, { additionalProperties: false }),
        response: { 200: PageOf(Alert), ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.alerts.list(request.query)),
  );
  for (const action of ['acknowledge', 'clear'] as const) {
    app.post(
      `/api/alerts/:id/${action}`,
      {
        config: { role: 'operator' },
        schema: { tags: ['alerts'], params: IdParams, response: { 200: Alert, ...problemResponses } },
      },
      async (request, reply) =>
        sendResult(reply, await services.alerts[action](request.params.id, actorOf(request.principal))),
    );
  }
}
