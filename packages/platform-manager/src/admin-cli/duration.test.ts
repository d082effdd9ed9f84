import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_DURATION_SECONDS, parseDuration, parseSince } from './duration.js';

describe('parseDuration', () => {
  it('reads single and combined units', () => {
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('15m'), 900);
    assert.equal(parseDuration('24h'), 86_400);
    assert.equal(parseDuration('7d'), 604_800);
    assert.equal(parseDuration('2w'), 1_209_600);
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration(' 1H '), 3600);
  });

  it('refuses zero, garbage and absurd lengths', () => {
    for (const text of ['', '0h', 'h', '10', '1.5h', '-1h', '1y', '1h 30m', '99999999999w', 'abc']) {
      assert.equal(parseDuration(text), null, text);
    }
  });

  it('is the sum of its parts for any well-formed duration in range', () => {
    const part = fc.tuple(fc.integer({ min: 0, max: 500 }), fc.constantFrom('s', 'm', 'h', 'd', 'w'));
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join('');
        const expected = parts.reduce((sum, [n, u]) => sum + n * unit[u], 0);
        const parsed = parseDuration(text);
        if (expected === 0 || expected > MAX_DURATION_SECONDS) assert.equal(parsed, null);
        else assert.equal(parsed, expected);
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 100 }), (text) => void parseDuration(text)));
  });
});

describe('parseSince', () => {
  const now = new Date('2026-11-23T12:00:00.000Z');
  it('turns a duration into the time that long ago', () => {
    assert.equal(parseSince('1h', now), '2026-11-23T11:00:00.000Z');
  });
  it('passes absolute times through, normalised to UTC', () => {
    assert.equal(parseSince('2026-11-01T00:00:00+01:00', now), '2026-10-31T23:00:00.000Z');
    assert.equal(parseSince('yesterday', now), null);
    assert.equal(parseSince('2026-13-45', now), null);
  });
});
