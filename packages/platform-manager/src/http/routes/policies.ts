import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IdParams, IsoTime, PageQuery, problemResponses, Uuid } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import { pageOfList } from '../list-pages.js';
import { sendProblem } from '../problem-types.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

const Policy = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  description: Type.String(),
  createdAt: IsoTime,
});
type Policy = Static<typeof Policy>;

const PolicyName = Type.String({ minLength: 1, maxLength: 128 });
const Description = Type.String({ maxLength: 4096 });

/** The policy tree: create, rename, move (no cycles), delete (with or without its subtree moving up). */
export async function policyRoutes(scope: FastifyInstance, { services, wakeHub }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const admin = { role: 'administrator' as const };

  app.get(
    '/api/policies',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['policies'],
        querystring: Type.Object(
          {
            tree: Type.Optional(Type.Boolean({ description: 'Nest children under their parent (the whole tree)' })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Unknown({ description: 'A policy; with ?tree=true, also its `children` (nested)' })),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { tree, ...page } = request.query;
      if (tree === true) {
        if (request.query.cursor !== undefined) {
          return sendProblem(reply, 'validation', 'tree=true answers the whole tree at once; leave out cursor');
        }
        return sendResult(reply, await services.policies.tree(), (items) => ({ items, nextCursor: null }));
      }
      const all = await services.policies.list();
      if (!all.ok) return sendResult(reply, all);
      return sendResult(reply, pageOfList<Policy>(all.value, page));
    },
  );
  app.post(
    '/api/policies',
    {
      config: admin,
      schema: {
        tags: ['policies'],
        body: Type.Object(
          {
            name: PolicyName,
            parentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
            description: Type.Optional(Description),
          },
          { additionalProperties: false },
        ),
        response: { 201: Policy, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await services.policies.create(request.body, actorOf(request.principal)), (p) => p, 201),
  );
  app.get(
    '/api/policies/:id',
    {
      config: { role: 'auditor' },
      schema: { tags: ['policies'], params: IdParams, response: { 200: Policy, ...problemResponses } },
    },
    async (request, reply) => sendResult(reply, await services.policies.get(request.params.id)),
  );
  app.patch(
    '/api/policies/:id',
    {
      config: admin,
      schema: {
        tags: ['policies'],
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(PolicyName), description: Type.Optional(Description) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Policy, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await services.policies.update(request.params.id, request.body, actorOf(request.principal))),
  );
  app.post(
    '/api/policies/:id/move',
    {
      config: admin,
      schema: {
        tags: ['policies'],
        params: IdParams,
        body: Type.Object({ parentId: Type.Union([Uuid, Type.Null()]) }, { additionalProperties: false }),
        response: { 200: Policy, ...problemResponses },
      },
    },
    async (request, reply) => {
      const result = await services.policies.move(request.params.id, request.body.parentId, actorOf(request.principal));
      if (result.ok) wakeHub.wake(result.value.changedComputerIds);
      return sendResult(reply, result, (value) => value.policy);
    },
  );
  app.delete(
    '/api/policies/:id',
    {
      config: admin,
      schema: {
        tags: ['policies'],
        params: IdParams,
        querystring: Type.Object({ force: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: Type.Object({ changedComputerIds: Type.Array(Type.String()) }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const result = await services.policies.delete(
        request.params.id,
        { force: request.query.force === true },
        actorOf(request.principal),
      );
      if (result.ok) wakeHub.wake(result.value.changedComputerIds);
      return sendResult(reply, result);
    },
  );
}
