import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
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

  it('checks every time, also after accepting one (the last accepted time is remembered)', () => {
    const event = { seq: 1, module: 'inventory', type: 'x', severity: 'info', summary: 's' };
    const good = '2026-01-01T00:00:00.000Z';
    assert.equal(parseWith(AgentEvent, { ...event, time: good }).ok, true);
    for (const bad of ['2026-13-01T00:00:00Z', '2026-01-01T00:00:00', 'yesterday', `${good} `])
      assert.equal(parseWith(AgentEvent, { ...event, time: bad }).ok, false, bad);
    assert.equal(parseWith(AgentEvent, { ...event, time: good }).ok, true);
  });

  it('takes any object as details and nothing else', () => {
    const event = { seq: 1, time: '2026-01-01T00:00:00.000Z', module: 'm', type: 'x', severity: 'low', summary: 's' };
    for (const details of [{}, { a: 1, nested: { b: [1, 2] } }, Object.create(null)])
      assert.equal(parseWith(AgentEvent, { ...event, details }).ok, true);
    for (const details of [[], 'text', 3, null, true])
      assert.equal(parseWith(AgentEvent, { ...event, details }).ok, false, JSON.stringify(details));
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

describe('issueMessage', () => {
  it('names the allowed values of a union of literals instead of "Expected union value"', () => {
    const schema = Type.Object({
      mode: Type.Union([Type.Literal('detect'), Type.Literal('prevent')]),
      policy: Type.Union([Type.Literal('all'), Type.Null()]),
      port: Type.Union([Type.Integer(), Type.String()]),
    });
    const parsed = parseWith(schema, { mode: 'block', policy: 3, port: true });
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.deepEqual(
      parsed.issues.map((i) => `${i.path} ${i.message}`),
      [
        '/mode must be one of detect, prevent; got "block"',
        '/policy must be one of all, null; got 3',
        '/port Expected union value',
      ],
    );
  });
});
