import type { FastifyReply } from 'fastify';
import type { createServices } from '../services/index.js';
import type { Result } from '../services/result.js';
import type { Actor, Principal } from '../services/roles.js';
import { type ProblemName, sendProblem } from './problem-types.js';

/** The domain services the HTTP layer calls (src/services, see its README). */
export type Services = ReturnType<typeof createServices>;

export type { Principal };

/** Who made a change, for the audit log (routes that change anything always have a caller). */
export function actorOf(principal: Principal | null): Actor {
  if (principal === null) throw new Error('a change reached its handler without an authenticated caller');
  return { kind: principal.kind, id: principal.id, name: principal.name };
}

const KIND_TO_PROBLEM: Readonly<Record<string, ProblemName>> = {
  'not-found': 'not-found',
  conflict: 'conflict',
  validation: 'validation',
  forbidden: 'forbidden',
  unauthenticated: 'unauthenticated',
};

/**
 * Answers a service result: the value (through `present`) with `status`, or the service's error
 * as the matching problem. Returns the reply so handlers can `return sendResult(...)`.
 */
export function sendResult<T>(
  reply: FastifyReply,
  result: Result<T>,
  present: (value: T) => unknown = (value) => value,
  status = 200,
): FastifyReply {
  if (!result.ok) return sendServiceError(reply, result.error);
  const body = present(result.value);
  if (status === 204) return reply.code(204).send();
  return reply.code(status).send(body);
}

export function sendServiceError(
  reply: FastifyReply,
  error: { kind: string; message: string; issues?: readonly { path: string; message: string }[] | undefined },
): FastifyReply {
  return sendProblem(reply, KIND_TO_PROBLEM[error.kind] ?? 'internal', error.message, error.issues);
}
