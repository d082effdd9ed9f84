import type { FastifyError, FastifyInstance } from 'fastify';
import { type ProblemIssue, type ProblemName, sendProblem } from './problem-types.js';

/** Fastify's own error codes that are the client's fault, and the problem each one is. */
const CLIENT_ERRORS: Readonly<Record<string, ProblemName>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation',
  FST_ERR_VALIDATION: 'validation',
  FST_ERR_BAD_URL: 'validation',
  FST_ERR_ASYNC_CONSTRAINT: 'validation',
};

interface ValidationDetail {
  readonly instancePath?: string;
  readonly message?: string;
}

/**
 * Turns every error — parser, schema, thrown bug — into application/problem+json, and every
 * unknown path into a not-found problem. A bug answers 500 with no detail; the log has the stack.
 */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const issues: ProblemIssue[] = error.validation.map((v: ValidationDetail) => ({
        path: `${error.validationContext ?? 'body'}${v.instancePath ?? ''}` || '/',
        message: v.message ?? 'is not valid',
      }));
      return sendProblem(reply, 'validation', `the ${error.validationContext ?? 'request'} is not valid`, issues);
    }
    const known = error.code === undefined ? undefined : CLIENT_ERRORS[error.code];
    if (known !== undefined) return sendProblem(reply, known, error.message);
    // Other 4xx raised by Fastify or its plugins (e.g. prototype poisoning) are still the client's fault.
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendProblem(reply, status === 413 ? 'payload-too-large' : 'validation', error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, 'internal', 'the manager failed to handle the request; see its log');
  });
  app.setNotFoundHandler((request, reply) => {
    return sendProblem(reply, 'not-found', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
}
