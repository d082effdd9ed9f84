import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IdParams, IsoTime, NullableIsoTime, PageOf, PageQuery, problemResponses, Role } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

const User = Type.Object({ id: Type.String(), username: Type.String(), role: Role, createdAt: IsoTime });
const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  createdAt: IsoTime,
  lastUsedAt: NullableIsoTime,
  revokedAt: NullableIsoTime,
});
const Password = Type.String({ minLength: 8, maxLength: 1024 });
const PageQueryObject = Type.Object(PageQuery, { additionalProperties: false });

/** Console users and API keys: administrators only. */
export async function accountRoutes(scope: FastifyInstance, { services }: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const admin = { role: 'administrator' as const };

  app.get(
    '/api/users',
    {
      config: admin,
      schema: { tags: ['users'], querystring: PageQueryObject, response: { 200: PageOf(User), ...problemResponses } },
    },
    async (request, reply) => sendResult(reply, await services.users.list(request.query)),
  );
  app.post(
    '/api/users',
    {
      config: admin,
      schema: {
        tags: ['users'],
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\s]+$' }),
            password: Password,
            role: Role,
          },
          { additionalProperties: false },
        ),
        response: { 201: User, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await services.users.create(request.body, actorOf(request.principal)), (u) => u, 201),
  );
  app.get(
    '/api/users/:id',
    {
      config: admin,
      schema: { tags: ['users'], params: IdParams, response: { 200: User, ...problemResponses } },
    },
    async (request, reply) => sendResult(reply, await services.users.get(request.params.id)),
  );
  app.patch(
    '/api/users/:id',
    {
      config: admin,
      schema: {
        tags: ['users'],
        params: IdParams,
        body: Type.Object(
          { role: Type.Optional(Role), password: Type.Optional(Password) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: User, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await services.users.update(request.params.id, request.body, actorOf(request.principal))),
  );
  app.delete(
    '/api/users/:id',
    {
      config: admin,
      schema: { tags: ['users'], params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    },
    async (request, reply) =>
      sendResult(reply, await services.users.delete(request.params.id, actorOf(request.principal)), () => null, 204),
  );

  app.get(
    '/api/api-keys',
    {
      config: admin,
      schema: {
        tags: ['api-keys'],
        querystring: PageQueryObject,
        response: { 200: PageOf(ApiKey), ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.apiKeys.list(request.query)),
  );
  app.post(
    '/api/api-keys',
    {
      config: admin,
      schema: {
        tags: ['api-keys'],
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 128 }), role: Role },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            name: Type.String(),
            role: Role,
            key: Type.String({ description: 'Shown once; stored hashed' }),
          }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) =>
      sendResult(
        reply,
        await services.apiKeys.create(request.body, actorOf(request.principal)),
        ({ apiKey, key }) => ({ id: apiKey.id, name: apiKey.name, role: apiKey.role, key }),
        201,
      ),
  );
  app.delete(
    '/api/api-keys/:id',
    {
      config: admin,
      schema: { tags: ['api-keys'], params: IdParams, response: { 200: ApiKey, ...problemResponses } },
    },
    async (request, reply) =>
      sendResult(reply, await services.apiKeys.revoke(request.params.id, actorOf(request.principal))),
  );
}
