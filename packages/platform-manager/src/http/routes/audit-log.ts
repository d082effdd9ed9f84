import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IsoTime, PageOf, PageQuery, problemResponses } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { sendResult } from '../service-types.js';

const AuditEntry = Type.Object({
  id: Type.String(),
  at: IsoTime,
  actor: Type.Object({
    kind: Type.String(),
    id: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
  }),
  action: Type.String(),
  target: Type.Object({ kind: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }),
  before: Type.Unknown(),
  after: Type.Unknown(),
});

/** Who changed what, newest first. */
export async function auditLogRoutes(scope: FastifyInstance, { services }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  app.get(
    '/api/audit-log',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['audit-log'],
        querystring: Type.Object(
          {
            targetKind: Type.Optional(Type.String({ maxLength: 64 })),
            targetId: Type.Optional(Type.String({ maxLength: 64 })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(AuditEntry), ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.audit.list(request.query)),
  );
}
