import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { problemResponses, Uuid } from '../common-schemas.js';
import type { RouteRole } from '../console-auth.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

const Params = Type.Object(
  {
    id: Uuid,
    module: Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' }),
    ruleId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }),
  },
  { additionalProperties: false },
);
const Body = Type.Object({ silenced: Type.Boolean() }, { additionalProperties: false });
const Answer = Type.Object({
  module: Type.String(),
  ruleId: Type.String(),
  silencingRuleId: Type.String({ description: 'The custom rule the module made to silence it' }),
  silenced: Type.Boolean(),
  created: Type.Boolean({ description: 'The silencing rule was added to the catalogue now' }),
  changedComputerIds: Type.Array(Type.String()),
});

/**
 * Silencing one rule inside an assignable rule (an event's `ruleId`, such as log inspection's
 * 100302) at a policy or computer: `PUT …/rules/:module/:ruleId/silenced { silenced }`.
 */
export async function ruleSilencingRoutes(
  scope: FastifyInstance,
  { services, wakeHub }: ConsoleRouteContext,
): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const levels: { kind: 'policy' | 'computer'; path: string; tag: string; role: RouteRole }[] = [
    { kind: 'policy', path: '/api/policies/:id/rules', tag: 'policies', role: 'administrator' },
    { kind: 'computer', path: '/api/computers/:id/rules', tag: 'computers', role: 'operator' },
  ];
  for (const level of levels) {
    app.put(
      `${level.path}/:module/:ruleId/silenced`,
      {
        config: { role: level.role },
        schema: {
          tags: [level.tag, 'rules'],
          params: Params,
          body: Body,
          response: { 200: Answer, ...problemResponses },
        },
      },
      async (request, reply) => {
        const result = await services.ruleSilencing.setSilenced(
          { kind: level.kind, id: request.params.id },
          request.params.module,
          request.params.ruleId,
          request.body.silenced,
          actorOf(request.principal),
        );
        if (result.ok) wakeHub.wake(result.value.changedComputerIds);
        return sendResult(reply, result);
      },
    );
  }
}
