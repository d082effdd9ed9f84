import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { COMPUTER_STATUSES } from '../../services/computer-status.js';
import { DASHBOARD_MAX_HOURS } from '../../services/dashboard.js';
import { IsoTime, problemResponses } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { sendResult } from '../service-types.js';

const Count = Type.Integer({ minimum: 0 });

const DashboardSummary = Type.Object({
  from: IsoTime,
  to: IsoTime,
  bucketMinutes: Type.Integer(),
  computersByStatus: Type.Object(Object.fromEntries(COMPUTER_STATUSES.map((s) => [s, Count]))),
  eventsOverTime: Type.Array(Type.Object({ bucket: IsoTime, module: Type.String(), count: Count })),
  topRules: Type.Array(Type.Object({ module: Type.String(), ruleId: Type.String(), count: Count })),
  openAlerts: Count,
});

/** Counts for the console's dashboard: computers by status, events by module over time, top rules, open alerts. */
export async function dashboardRoutes(scope: FastifyInstance, { services }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  app.get(
    '/api/dashboard',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['dashboard'],
        querystring: Type.Object(
          { hours: Type.Optional(Type.Integer({ minimum: 1, maximum: DASHBOARD_MAX_HOURS, default: 24 })) },
          { additionalProperties: false },
        ),
        response: { 200: DashboardSummary, ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.dashboard.summary(request.query)),
  );
}
