import type { Problem } from '@bulwark/protocol';
import type { FastifyReply } from 'fastify';

/**
 * Every kind of problem the manager answers with. The `type` URN is part of the API contract:
 * never rename or reuse one; docs/api.md lists them all (a test keeps the two in step).
 */
export const ProblemTypes = {
  validation: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Not allowed' },
  /** To an agent: its computer was deactivated; it stops and removes its hooks (COMPUTER_DEACTIVATED_PROBLEM). */
  'computer-deactivated': { status: 403, title: 'This computer was deactivated' },
  'not-found': { status: 404, title: 'Not found' },
  'request-timeout': { status: 408, title: 'The request was not received in time' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'uri-too-long': { status: 414, title: 'The request URL is too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported content type' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'headers-too-large': { status: 431, title: 'The request headers are too large' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ProblemName = keyof typeof ProblemTypes;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemTypeUrn(name: ProblemName): string {
  return `urn:bulwark:problem:${name}`;
}

export interface ProblemIssue {
  readonly path: string;
  readonly message: string;
}

export function problem(name: ProblemName, detail?: string, issues?: readonly ProblemIssue[]): Problem {
  const { status, title } = ProblemTypes[name];
  const body: Problem = { type: problemTypeUrn(name), title, status };
  if (detail !== undefined) body.detail = detail;
  if (issues !== undefined && issues.length > 0)
    body.issues = issues.map((i) => ({ path: i.path, message: i.message }));
  return body;
}

/** Sends a problem as the reply; returns the reply so handlers can `return sendProblem(...)`. */
export function sendProblem(
  reply: FastifyReply,
  name: ProblemName,
  detail?: string,
  issues?: readonly ProblemIssue[],
): FastifyReply {
  const body = problem(name, detail, issues);
  if (name === 'unauthenticated') reply.header('www-authenticate', 'Bearer');
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}
