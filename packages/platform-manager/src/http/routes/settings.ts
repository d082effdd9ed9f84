import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { hasRole } from '../../services/roles.js';
import { IdParams, PageOf, problemResponses, Uuid } from '../common-schemas.js';
import type { RouteRole } from '../console-auth.js';
import type { ConsoleRouteContext } from '../console-server.js';
import { sendProblem } from '../problem-types.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, type Principal, sendResult } from '../service-types.js';

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
  const administratorOnly = (key: string, caller: Principal | null) =>
    administratorOnlyReason(key, caller, services.modules.administratorOnly);
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
        const refused = administratorOnly(request.params.key, request.principal);
        if (refused !== null) return sendProblem(reply, 'forbidden', refused);
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
        const refused = administratorOnly(request.params.key, request.principal);
        if (refused !== null) return sendProblem(reply, 'forbidden', refused);
        const target = { kind: level.kind, id: request.params.id };
        const result = await services.settings.unset(target, request.params.key, actorOf(request.principal));
        if (result.ok) wakeHub.wake(result.value.changedComputerIds);
        return sendResult(reply, result);
      },
    );
  }
}

/** Why the caller may not change `key`, or null: the module marks some settings administrator-only. */
function administratorOnlyReason(
  key: string,
  caller: Principal | null,
  isAdministratorOnly: (key: string) => boolean,
): string | null {
  if (!isAdministratorOnly(key) || (caller !== null && hasRole(caller, 'administrator'))) return null;
  return `${key} widens what the agent does as root on the host; only an administrator may change it (the caller is ${caller?.role ?? 'unknown'})`;
}
