import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HeartbeatRequest } from './agent-api.js';
import { AgentEvent } from './event.js';
import { describeIssues, parseWith } from './validation.js';

describe('parseWith', () => {
  it('accepts a valid event and refuses unknown fields with a path', () => {
    const event = {
      seq: 1,
      time: '2026-01-01T00:00:00.000Z',
      module: 'inventory',
      type: 'x',
      severity: 'info',
      summary: 's',
    };
    assert.equal(parseWith(AgentEvent, event).ok, true);
    const bad = parseWith(AgentEvent, { ...event, extra: true });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(describeIssues(bad.issues), /extra|additional/i);
  });

  it('never throws on garbage', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = parseWith(HeartbeatRequest, value);
        assert.equal(typeof result.ok, 'boolean');
      }),
    );
  });
});
