import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { IdParams, IsoTime, NullableIsoTime, PageOf, PageQuery, problemResponses, Uuid } from '../common-schemas.js';
import type { ConsoleRouteContext } from '../console-server.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { actorOf, sendResult } from '../service-types.js';

const ActivationToken = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  expiresAt: NullableIsoTime,
  maxUses: Type.Union([Type.Integer(), Type.Null()]),
  uses: Type.Integer(),
  policyId: Type.Union([Type.String(), Type.Null()]),
  revokedAt: NullableIsoTime,
  createdAt: IsoTime,
  state: Type.Union([
    Type.Literal('active'),
    Type.Literal('expired'),
    Type.Literal('used-up'),
    Type.Literal('revoked'),
  ]),
});

/** Activation tokens an agent presents once to join: shown once, stored hashed, revocable. */
export async function activationTokenRoutes(
  scope: FastifyInstance,
  { services, agentPort }: ConsoleRouteContext,
): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const admin = { role: 'administrator' as const };

  app.get(
    '/api/activation-tokens',
    {
      config: admin,
      schema: {
        tags: ['activation-tokens'],
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(ActivationToken), ...problemResponses },
      },
    },
    async (request, reply) => sendResult(reply, await services.activationTokens.list(request.query)),
  );
  app.post(
    '/api/activation-tokens',
    {
      config: admin,
      schema: {
        tags: ['activation-tokens'],
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 128 })),
            expiresAt: Type.Optional(
              Type.Union([IsoTime, Type.Null()], { description: 'Left out: 24 hours from now; null: never expires' }),
            ),
            maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
            policyId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Composite([
            ActivationToken,
            Type.Object({
              token: Type.String({
                description:
                  "Shown once. `bwt_<id>_<secret>.<CA SHA-256>`: the agent pins the manager's CA from it before sending it",
              }),
              caFingerprint: Type.Union([Type.String(), Type.Null()], {
                description: "SHA-256 of the manager's CA, as carried in the token",
              }),
              agentUrl: Type.Union([Type.String(), Type.Null()], {
                description:
                  'The agent port at the host name this request was made to: bulwark-agent activate --manager',
              }),
            }),
          ]),
          ...problemResponses,
        },
      },
    },
    async (request, reply) =>
      sendResult(
        reply,
        await services.activationTokens.create(request.body, actorOf(request.principal)),
        ({ activationToken, token, caFingerprint }) => ({
          ...activationToken,
          token,
          caFingerprint,
          agentUrl: agentUrlFor(request.hostname, agentPort()),
        }),
        201,
      ),
  );
  app.delete(
    '/api/activation-tokens/:id',
    {
      config: admin,
      schema: {
        tags: ['activation-tokens'],
        params: IdParams,
        response: { 200: ActivationToken, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await services.activationTokens.revoke(request.params.id, actorOf(request.principal))),
  );
}

/** The agent port on the host the operator reached the console by (what an agent on their network can reach too). */
function agentUrlFor(hostname: string, port: number | null): string | null {
  if (port === null || hostname === '') return null;
  const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  return `https://${host}:${port}`;
}
