import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IdParams, NoContent, PageQuery, problemResponses } from '../http/common-schemas.js';
import { pageOfList } from '../http/list-pages.js';
import type { TypeBoxProvider } from '../http/schema-validation.js';
import { actorOf, sendResult } from '../http/service-types.js';
import { Destination, DestinationStatus, NewDestination } from './destination-schema.js';
import { DestinationTestResult, sendTestEvent } from './destination-test.js';
import type { DestinationsService } from './destinations.js';

/** What the routes need; the console's route context fits once `services.forwarding` exists. */
export interface ForwardingRouteContext {
  readonly services: { readonly forwarding: DestinationsService };
  /** The manager's version, named in test messages. */
  readonly version?: string;
}

const admin = { role: 'administrator' } as const;
const auditor = { role: 'auditor' } as const;
const tags = ['forwarding'];

/** SIEM destinations (docs/forwarding.md): administrators change them, auditors read them and their queue status. */
export async function forwardingRoutes(
  scope: FastifyInstance,
  { services, version }: ForwardingRouteContext,
): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const forwarding = services.forwarding;

  app.get(
    '/api/forwarding/destinations',
    {
      config: auditor,
      schema: {
        tags,
        response: {
          200: Type.Object({ items: Type.Array(Destination), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...problemResponses,
        },
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const all = await forwarding.list();
      if (!all.ok) return sendResult(reply, all);
      return sendResult(reply, pageOfList(all.value, request.query));
    },
  );
  app.post(
    '/api/forwarding/destinations',
    { config: admin, schema: { tags, body: NewDestination, response: { 201: Destination, ...problemResponses } } },
    async (request, reply) =>
      sendResult(reply, await forwarding.create(request.body, actorOf(request.principal)), (d) => d, 201),
  );
  app.get(
    '/api/forwarding/destinations/:id',
    { config: auditor, schema: { tags, params: IdParams, response: { 200: Destination, ...problemResponses } } },
    async (request, reply) => sendResult(reply, await forwarding.get(request.params.id)),
  );
  app.patch(
    '/api/forwarding/destinations/:id',
    {
      config: admin,
      schema: {
        tags,
        params: IdParams,
        body: Type.Partial(NewDestination, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Destination, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await forwarding.update(request.params.id, request.body, actorOf(request.principal))),
  );
  app.delete(
    '/api/forwarding/destinations/:id',
    { config: admin, schema: { tags, params: IdParams, response: { 204: NoContent, ...problemResponses } } },
    async (request, reply) =>
      sendResult(reply, await forwarding.delete(request.params.id, actorOf(request.principal)), undefined, 204),
  );
  app.get(
    '/api/forwarding/destinations/:id/status',
    {
      config: auditor,
      schema: { tags, params: IdParams, response: { 200: DestinationStatus, ...problemResponses } },
    },
    async (request, reply) => sendResult(reply, await forwarding.status(request.params.id)),
  );
  app.post(
    '/api/forwarding/destinations/:id/test',
    {
      config: admin,
      schema: {
        tags,
        description: 'Sends one test event now, on a connection apart from the queue; answers whether it could be sent',
        params: IdParams,
        response: { 200: DestinationTestResult, ...problemResponses },
      },
    },
    async (request, reply) => {
      const found = await forwarding.get(request.params.id);
      if (!found.ok) return sendResult(reply, found);
      const identity = { vendor: 'Bulwark', product: 'Bulwark', version: version ?? '0' };
      return sendResult(reply, await sendTestEvent(found.value, identity));
    },
  );
}
