import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileIpsRules, createIpsInspector } from './index.js';
import { MultiPatternMatcher } from './multi-pattern.js';
import { httpRequest, suricata } from './test-units.js';

describe('the multi-pattern prefilter', () => {
  it('finds exactly the patterns a naive search finds (property)', () => {
    const small = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'ab', '\u00ff'), maxLength: 6 });
    fc.assert(
      fc.property(
        fc.array(small, { maxLength: 20 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\u00ff'), maxLength: 60 }),
        (patterns, text) => {
          const found = new Set<number>();
          new MultiPatternMatcher(patterns).scan(text, (id) => found.add(id));
          const expected = new Set(patterns.flatMap((p, id) => (p !== '' && text.includes(p) ? [id] : [])));
          assert.deepEqual([...found].sort(), [...expected].sort());
        },
      ),
      { numRuns: 400 },
    );
  });

  it('10,000 rules: only the rules whose literal is present are evaluated in full', () => {
    const rules = Array.from({ length: 10_000 }, (_, k) =>
      suricata(
        `alert http any any -> any any (http.uri; content:"/app/endpoint-${k}/x"; content:"q="; sid:${k + 1};)`,
        `sid:${k + 1}`,
      ),
    );
    const { ruleSet, refused } = compileIpsRules(rules, { variables: {} });
    assert.equal(refused.length, 0);
    const inspector = createIpsInspector(ruleSet, 'prevent');
    const hit = inspector.inspect(httpRequest({ target: '/app/endpoint-4242/x?q=1' }), inspector.newFlowState());
    assert.deepEqual(
      hit.findings.map((f) => f.ruleId),
      ['sid:4243'],
    );
    const clean = inspector.inspect(httpRequest({ target: '/index.html' }), inspector.newFlowState());
    assert.deepEqual(clean.findings, []);
    assert.ok(inspector.counters().evaluations <= 2, `evaluated ${inspector.counters().evaluations} rules in full`);
  });
});
