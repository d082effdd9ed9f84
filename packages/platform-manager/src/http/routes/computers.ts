import { Inventory, ModuleStatus, SecurityConfiguration } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IdParams, IsoTime, NullableIsoTime, PageOf, PageQuery, problemResponses, Uuid } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

/** How long the wake call waits for another node to say it holds the agent's poll. */
const WAKE_ANSWER_MS = 500;

const ComputerStatus = Type.Union([
  Type.Literal('managed'),
  Type.Literal('updates-pending'),
  Type.Literal('offline'),
  Type.Literal('error'),
  Type.Literal('deactivated'),
]);

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const Computer = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  name: Type.String(),
  description: Type.String(),
  policyId: NullableString,
  status: ComputerStatus,
  statusReason: NullableString,
  lastHeartbeatAt: NullableIsoTime,
  appliedConfigurationVersion: NullableString,
  configurationVersion: NullableString,
  modules: Type.Array(ModuleStatus),
  agentVersion: NullableString,
  platform: NullableString,
  activatedAt: IsoTime,
  deactivatedAt: NullableIsoTime,
});

const ComputerListQuery = Type.Object(
  {
    policyId: Type.Optional(Uuid),
    status: Type.Optional(ComputerStatus),
    q: Type.Optional(Type.String({ maxLength: 256 })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

const InventoryAnswer = Type.Object({
  inventory: Inventory,
  digest: Type.String(),
  collectedAt: NullableIsoTime,
  receivedAt: IsoTime,
});

/** Computers: list, details, assignment, deactivation, wake, inventory and compiled configuration. */
export async function computerRoutes(
  scope: FastifyInstance,
  { services, wakeHub }: ConsoleRouteContext,
): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();

  app.get(
    '/api/computers',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['computers'],
        querystring: ComputerListQuery,
        response: { 200: PageOf(Computer), ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.computers.list(request.query)),
  );
  app.get(
    '/api/computers/:id',
    {
      config: { role: 'auditor' },
      schema: { tags: ['computers'], params: IdParams, response: { 200: Computer, ...problemResponses } },
    },
    async (request, reply) => sendResult(reply, await services.computers.get(request.params.id)),
  );
  app.patch(
    '/api/computers/:id',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['computers'],
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
            description: Type.Optional(Type.String({ maxLength: 4096 })),
            policyId: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'null = no policy' })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Computer, ...problemResponses },
      },
    },
    async (request, reply) => {
      const result = await services.computers.update(request.params.id, request.body, actorOf(request.principal));
      if (result.ok) wakeHub.wake(result.value.changedComputerIds);
      return sendResult(reply, result, (value) => value.computer);
    },
  );
  app.delete(
    '/api/computers/:id',
    {
      config: { role: 'administrator' },
      schema: { tags: ['computers'], params: IdParams, response: { 200: Computer, ...problemResponses } },
    },
    async (request, reply) => {
      const result = await services.computers.deactivate(request.params.id, actorOf(request.principal));
      // A deactivated agent still polling learns of it at its next call, which is refused.
      if (result.ok) wakeHub.wake([request.params.id]);
      return sendResult(reply, result);
    },
  );
  app.post(
    '/api/computers/:id/wake',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['computers'],
        params: IdParams,
        response: {
          202: Type.Object({ computerId: Type.String(), agentListening: Type.Boolean() }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const computer = await services.computers.get(request.params.id);
      // Whether the agent holds a poll on any node of the cluster, not only on this one.
      const agentListening = computer.ok ? await wakeHub.wakeAndConfirm(computer.value.id, WAKE_ANSWER_MS) : false;
      return sendResult(reply, computer, (c) => ({ computerId: c.id, agentListening }), 202);
    },
  );
  app.get(
    '/api/computers/:id/inventory',
    {
      config: { role: 'auditor' },
      schema: { tags: ['computers'], params: IdParams, response: { 200: InventoryAnswer, ...problemResponses } },
    },
    async (request, reply) => sendResult(reply, await services.inventory.get(request.params.id)),
  );
  app.get(
    '/api/computers/:id/configuration',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['computers'],
        params: IdParams,
        response: { 200: SecurityConfiguration, ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.configuration.compile(request.params.id)),
  );
}
