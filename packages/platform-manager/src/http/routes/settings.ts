import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IdParams, PageOf, problemResponses, Uuid } from '../common-schemas.js';
import type { RouteRole } from '../console-auth.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

export const EffectiveSetting = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  overridden: Type.Boolean(),
  source: Type.Object({
    kind: Type.Union([Type.Literal('default'), Type.Literal('policy'), Type.Literal('computer')]),
    id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
  }),
});

const SettingParams = Type.Object(
  { id: Uuid, key: Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[A-Za-z][A-Za-z0-9]*$', maxLength: 128 }) },
  { additionalProperties: false },
);

const SettingValue = Type.Object({ value: Type.Unknown() }, { additionalProperties: false, required: ['value'] });

const ChangeAnswer = Type.Object({
  changedComputerIds: Type.Array(Type.String(), { description: 'Computers whose configuration changed (woken)' }),
});

/**
 * Effective settings of policies and computers, and overrides on each. A change recompiles the
 * affected computers' configurations (in the service) and wakes their agents.
 */
export async function settingRoutes(scope: FastifyInstance, { services, wakeHub }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const levels: { kind: 'policy' | 'computer'; path: string; tag: string; changeRole: RouteRole }[] = [
    { kind: 'policy', path: '/api/policies/:id/settings', tag: 'policies', changeRole: 'administrator' },
    { kind: 'computer', path: '/api/computers/:id/settings', tag: 'computers', changeRole: 'operator' },
  ];
  for (const level of levels) {
    app.get(
      level.path,
      {
        config: { role: 'auditor' },
        schema: {
          tags: [level.tag],
          params: IdParams,
          response: { 200: PageOf(EffectiveSetting), ...problemResponses },
        },
      },
      async (request, reply) =>
        sendResult(reply, await services.settings.effective({ kind: level.kind, id: request.params.id }), (items) => ({
          items,
          nextCursor: null,
        })),
    );
    app.put(
      `${level.path}/:key`,
      {
        config: { role: level.changeRole },
        schema: {
          tags: [level.tag],
          params: SettingParams,
          body: SettingValue,
          response: { 200: ChangeAnswer, ...problemResponses },
        },
      },
      async (request, reply) => {
        const target = { kind: level.kind, id: request.params.id };
        const result = await services.settings.set(
          target,
          request.params.key,
          request.body.value,
          actorOf(request.principal),
        );
        if (result.ok) wakeHub.wake(result.value.changedComputerIds);
        return sendResult(reply, result);
      },
    );
    app.delete(
      `${level.path}/:key`,
      {
        config: { role: level.changeRole },
        schema: { tags: [level.tag], params: SettingParams, response: { 200: ChangeAnswer, ...problemResponses } },
      },
      async (request, reply) => {
        const target = { kind: level.kind, id: request.params.id };
        const result = await services.settings.unset(target, request.params.key, actorOf(request.principal));
        if (result.ok) wakeHub.wake(result.value.changedComputerIds);
        return sendResult(reply, result);
      },
    );
  }
}
