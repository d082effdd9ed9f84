import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { wantsConsolePage } from './console-assets.js';
import { PROBLEM_CONTENT_TYPE, type ProblemIssue, type ProblemName, problem, sendProblem } from './problem-types.js';

/** Fastify's own error codes that are the client's fault, and the problem each one is. */
const CLIENT_ERRORS: Readonly<Record<string, ProblemName>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation',
  FST_ERR_VALIDATION: 'validation',
  FST_ERR_BAD_URL: 'validation',
  FST_ERR_MAX_PARAM_LENGTH: 'uri-too-long',
  FST_ERR_ASYNC_CONSTRAINT: 'validation',
};

interface ValidationDetail {
  readonly instancePath?: string;
  readonly message?: string;
}

/**
 * Turns every error — parser, schema, thrown bug — into application/problem+json, and every
 * unknown path into a not-found problem. A bug answers 500 with no detail; the log has the stack.
 * On the console port, a GET no route answers outside the API is the web console's page (`consolePage`).
 */
export function installProblemHandlers(
  app: FastifyInstance,
  consolePage?: (reply: FastifyReply) => FastifyReply,
): void {
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
    if (consolePage !== undefined && wantsConsolePage(request.method, request.url.split('?')[0] ?? '')) {
      return consolePage(reply);
    }
    return sendProblem(reply, 'not-found', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
}

/**
 * Fastify's `frameworkErrors`: errors it raises before any route runs (a path that does not
 * decode, `/api/computers/%ff%fe`; a path segment over maxParamLength, a 5,000-character id)
 * answer problem+json like every other error, not Fastify's own JSON.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const name = (error.code === undefined ? undefined : CLIENT_ERRORS[error.code]) ?? 'validation';
  const detail =
    name === 'uri-too-long'
      ? 'a path segment is longer than the manager accepts (ids are UUIDs)'
      : 'the URL path is not valid percent-encoded UTF-8';
  sendProblem(reply, name, detail);
}

/**
 * Errors of the HTTP parser itself (headers too large, a request not received in time, bytes
 * that are not HTTP): no request exists yet, so the problem is written to the socket directly.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const name: ProblemName =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'headers-too-large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request-timeout'
        : error.code === 'HPE_URI_TOO_LONG'
          ? 'uri-too-long'
          : 'validation';
  const body = JSON.stringify(problem(name, 'the request could not be read as HTTP'));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem(name).status} ${problem(name).title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
