import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasRole } from '../services/roles.js';
import { sendProblem } from './problem-types.js';
import type { Principal, Services } from './service-types.js';

export type RouteRole = 'none' | 'auditor' | 'operator' | 'administrator';
const ROUTE_ROLES: readonly RouteRole[] = ['none', 'auditor', 'operator', 'administrator'];

export const SESSION_COOKIE = 'bulwark_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a caller needs; `none` = public. Every console route must say. */
    role?: RouteRole;
    /** Open to a user who must change the password first (`/api/me`, the change itself, logout). */
    beforePasswordChange?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The session cookie value when the caller came with one (for logout). */
    sessionToken: string | null;
  }
}

/**
 * Routes under these prefixes come from plugins (the OpenAPI document and its UI) and are public;
 * every other route must declare `config.role` or the manager refuses to start.
 */
const PUBLIC_PLUGIN_PREFIXES = ['/api/docs'];

/**
 * Authentication and authorisation for the console/API port, in one place: an onRoute check that
 * every route names its role, and an onRequest hook (before the body is even read) that resolves
 * the caller from a bearer API key or a session cookie (+ CSRF header on non-GET) and checks the role.
 */
export function installConsoleAuth(app: FastifyInstance, services: Services): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('sessionToken', null);

  app.addHook('onRoute', (route) => {
    const role = route.config?.role;
    if (role === undefined && PUBLIC_PLUGIN_PREFIXES.some((p) => route.url.startsWith(p))) {
      route.config = { ...route.config, role: 'none' };
      return;
    }
    if (role === undefined || !ROUTE_ROLES.includes(role)) {
      throw new Error(`route ${String(route.method)} ${route.url} does not declare config.role; refusing to start`);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const role = request.routeOptions.config.role;
    // No route matched: the not-found handler answers; there is nothing to protect.
    if (role === undefined && request.is404) return;
    if (role === 'none') return;
    if (role === undefined) return sendProblem(reply, 'forbidden', 'this route declares no role');
    const caller = await authenticate(request, reply, services);
    if (caller === null) return reply;
    if (!hasRole(caller, role)) {
      return sendProblem(reply, 'forbidden', `this needs the ${role} role; the caller is ${caller.role}`);
    }
    if (caller.mustChangePassword === true && request.routeOptions.config.beforePasswordChange !== true) {
      return sendProblem(
        reply,
        'forbidden',
        'the password of this account was printed at first start; change it first with PUT /api/me/password',
      );
    }
    request.principal = caller;
  });
}

async function authenticate(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (match === null) {
      sendProblem(reply, 'unauthenticated', 'the Authorization header must be "Bearer <api key>"');
      return null;
    }
    const result = await services.apiKeys.authenticate(match[1]!);
    if (!result.ok) {
      sendProblem(reply, 'unauthenticated', 'the API key is unknown or revoked');
      return null;
    }
    return result.value;
  }
  const sessionToken = request.cookies[SESSION_COOKIE];
  if (sessionToken !== undefined && sessionToken !== '') {
    const csrf = request.headers[CSRF_HEADER];
    const result = await services.sessions.authenticate(sessionToken, typeof csrf === 'string' ? csrf : undefined);
    if (!result.ok) {
      sendProblem(reply, 'unauthenticated', 'the session has expired or was closed; log in again');
      return null;
    }
    const safeMethod = request.method === 'GET' || request.method === 'HEAD';
    if (!safeMethod && !result.value.csrfValid) {
      sendProblem(reply, 'forbidden', `a session needs the ${CSRF_HEADER} header given at login on every change`);
      return null;
    }
    request.sessionToken = sessionToken;
    return result.value.principal;
  }
  sendProblem(reply, 'unauthenticated', 'send "Authorization: Bearer <api key>" or log in');
  return null;
}
