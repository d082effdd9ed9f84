import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ExitCode, formatCliError } from './cli-error.js';
import { problemToCliError } from './problem-message.js';

describe('problemToCliError', () => {
  it('prints title and detail, and maps the status to the exit code', () => {
    const error = problemToCliError(404, {
      type: 'urn:bulwark:problem:not-found',
      title: 'Not Found',
      status: 404,
      detail: 'no computer 1234',
    });
    assert.equal(formatCliError(error), 'error: Not Found: no computer 1234');
    assert.equal(error.exitCode, ExitCode.notFound);
    assert.equal(problemToCliError(401, { title: 'Unauthenticated' }).exitCode, ExitCode.auth);
    assert.equal(problemToCliError(403, { title: 'Forbidden' }).exitCode, ExitCode.auth);
    assert.equal(problemToCliError(409, { title: 'Conflict' }).exitCode, ExitCode.failure);
    assert.equal(problemToCliError(500, null).exitCode, ExitCode.failure);
  });

  it('lists validation issues under the message', () => {
    const error = problemToCliError(400, {
      title: 'Validation failed',
      issues: [{ path: '/value', message: 'Expected integer' }],
    });
    assert.equal(formatCliError(error), 'error: Validation failed\n  /value: Expected integer');
  });

  it('copes with whatever a proxy sends', () => {
    assert.equal(problemToCliError(502, '<html>Bad gateway</html>').message, 'HTTP 502: <html>Bad gateway</html>');
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 599 }), fc.anything(), (status, body) => {
        const error = problemToCliError(status, body);
        assert.equal(typeof error.message, 'string');
        assert.ok(!error.message.includes('\n'));
      }),
    );
  });
});
