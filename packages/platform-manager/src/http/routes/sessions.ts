import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sha256 } from '../../services/secrets.js';
import { PageOf, problemResponses, Role } from '../common-schemas.js';
import { SESSION_COOKIE } from '../console-auth.js';
import type { ConsoleRouteContext } from '../console-server.js';
import { LoginThrottle } from '../login-throttle.js';
import { sendProblem } from '../problem-types.js';
import type { TypeBoxProvider } from '../schema-validation.js';
import { sendResult } from '../service-types.js';

const Caller = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  kind: Type.Union([Type.Literal('user'), Type.Literal('api-key')]),
  mustChangePassword: Type.Optional(
    Type.Boolean({
      description: 'true: the password was printed at first start; only PUT /api/me/password is allowed',
    }),
  ),
});

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 128 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

const PasswordChangeBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 1024 }),
    newPassword: Type.String({ minLength: 8, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const ModuleInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  settings: Type.Unknown({ description: 'JSON schema of the module settings' }),
  defaults: Type.Record(Type.String(), Type.Unknown()),
  administratorSettings: Type.Array(Type.String(), {
    description: 'Settings only an administrator may change, at any level',
  }),
  commands: Type.Array(
    Type.Object({ name: Type.String(), description: Type.String(), argumentsRequired: Type.Boolean() }),
    {
      description: 'Commands the agent runs for the module (POST /api/computers/{id}/commands)',
    },
  ),
  hasRules: Type.Boolean({ description: 'The module has a rule catalogue (GET /api/modules/{module}/rules)' }),
  eventTypes: Type.Array(Type.String(), { description: 'Event types the module emits (empty: it does not say)' }),
});

/** Health, login/logout, the caller, and the module catalogue. */
export async function sessionRoutes(scope: FastifyInstance, context: ConsoleRouteContext): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const { services } = context;
  const throttle = new LoginThrottle();

  app.get(
    '/api/health',
    {
      config: { role: 'none' },
      schema: {
        tags: ['system'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' as const, version: context.version }),
  );

  app.post(
    '/api/sessions',
    {
      config: { role: 'none' },
      schema: {
        tags: ['sessions'],
        security: [],
        body: LoginBody,
        response: { 200: Type.Object({ user: Caller, csrfToken: Type.String() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const admission = throttle.admit(request.ip, request.body.username);
      if (!admission.admitted) {
        const wait = admission.retryAfterSeconds;
        request.log.warn(
          { address: request.ip },
          'sign-in refused: too many failures from this address or for this account',
        );
        reply.header('retry-after', String(wait));
        return sendProblem(reply, 'rate-limited', `too many failed logins; try again in ${wait} s`);
      }
      const result = await services.sessions.login(request.body.username, request.body.password, {
        address: request.ip,
      });
      if (!result.ok) {
        admission.attempt.failed();
        return sendProblem(reply, 'unauthenticated', 'wrong username or password');
      }
      admission.attempt.succeeded();
      const { sessionToken, csrfToken, expiresAt, principal } = result.value;
      reply.setCookie(SESSION_COOKIE, sessionToken, {
        path: '/api',
        httpOnly: true,
        secure: true,
        sameSite: 'strict',
        expires: new Date(expiresAt),
      });
      return { user: principal, csrfToken };
    },
  );

  app.delete(
    '/api/sessions/current',
    {
      config: { role: 'auditor', beforePasswordChange: true },
      schema: { tags: ['sessions'], response: { 204: Type.Null(), ...problemResponses } },
    },
    async (request, reply) => {
      if (request.sessionToken === null) {
        return sendProblem(reply, 'validation', 'there is no session to close: the caller used an API key');
      }
      const result = await services.sessions.delete(request.sessionToken);
      reply.clearCookie(SESSION_COOKIE, { path: '/api' });
      return sendResult(reply, result, () => null, 204);
    },
  );

  app.put(
    '/api/me/password',
    {
      config: { role: 'auditor', beforePasswordChange: true },
      schema: {
        tags: ['sessions'],
        body: PasswordChangeBody,
        response: { 200: Caller, ...problemResponses },
      },
    },
    async (request, reply) => {
      const caller = request.principal!;
      if (caller.kind !== 'user') {
        return sendProblem(reply, 'validation', 'an API key has no password; sign in as a user to change one');
      }
      const token = request.sessionToken;
      const changed = await services.users.changeOwnPassword(
        caller.id,
        request.body.currentPassword,
        request.body.newPassword,
        token === null ? null : sha256(token),
      );
      return sendResult(reply, changed, () => ({
        id: caller.id,
        name: caller.name,
        role: caller.role,
        kind: caller.kind,
      }));
    },
  );

  app.get(
    '/api/me',
    {
      config: { role: 'auditor', beforePasswordChange: true },
      schema: { tags: ['sessions'], response: { 200: Caller, ...problemResponses } },
    },
    async (request) => request.principal!,
  );

  app.get(
    '/api/modules',
    {
      config: { role: 'auditor' },
      schema: {
        tags: ['modules'],
        response: { 200: PageOf(ModuleInfo), ...problemResponses },
      },
    },
    async () => ({
      items: services.modules.list().map((m) => ({
        ...m,
        administratorSettings: [...m.administratorSettings],
        commands: [...m.commands],
        eventTypes: [...m.eventTypes],
      })),
      nextCursor: null,
    }),
  );
}
