/**
 * The rule loader survives what an administrator (or an attacker with a rule file) may feed it:
 * garbage, truncated rules, hostile regexes. It answers with a rule or a refusal; it never throws
 * and never hangs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileIpsRules, createIpsInspector, parseSuricataRule, splitRulesFile } from './index.js';
import { httpRequest, packet, suricata } from './test-units.js';

const SAMPLES = [
  'alert http $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (msg:"x"; flow:established,to_server; http.uri; content:"/a.php?id="; fast_pattern; nocase; pcre:"/id=[0-9]+\\x27/Ui"; reference:cve,2020-1234; classtype:web-application-attack; sid:100; rev:2; metadata:created_at 2020_01_01;)',
  'alert tcp any any -> any [80,8080:8090,!8081] (content:"|41 42|ab\\;"; depth:10; content:!"zz"; distance:2; within:20; isdataat:4,relative; flowbits:set,a; threshold:type limit, track by_src, count 1, seconds 60; sid:101;)',
  'alert dns any any -> any any (dns.query; dotprefix; content:".bad.test"; endswith; bsize:>5; sid:102;)',
];
const VARS = { HOME_NET: '[10.0.0.0/8]', EXTERNAL_NET: '!$HOME_NET', HTTP_PORTS: '80' };

describe('the Suricata rule loader on hostile input', () => {
  it('garbage never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const r = parseSuricataRule(text, VARS);
        assert.equal(typeof r.ok, 'boolean');
        splitRulesFile(text);
      }),
      { numRuns: 2_000 },
    );
  });

  it('every truncation and single-character mutation of real rules is parsed or refused, never thrown', () => {
    for (const sample of SAMPLES) {
      for (let n = 0; n <= sample.length; n++) parseSuricataRule(sample.slice(0, n), VARS);
    }
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLES),
        fc.nat(),
        fc.constantFrom(';', '"', '|', '\\', '(', ')', ':', ',', '!', '$', '[', ']', '/', ' ', 'x', '\u0000'),
        (sample, at, ch) => {
          const k = at % sample.length;
          const mutated = sample.slice(0, k) + ch + sample.slice(k + 1);
          const r = parseSuricataRule(mutated, VARS);
          if (!r.ok) assert.match(r.reasonClass, /^[a-z][A-Za-z0-9:_.-]*$/);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('hostile regexes are refused or bounded: a match attempt returns promptly', () => {
    const hostile = ['(a+)+b', '(a|aa)*c', '(.*a){20}', '(?=(a*)*)b', '(a*)*\\1', '([a-z]+\\s?)+$', '(\\w+\\W*)+$'];
    const evil = `${'a'.repeat(5_000)}!`;
    for (const source of hostile) {
      const { ruleSet, refused } = compileIpsRules(
        [suricata(`alert tcp any any -> any any (pcre:"/${source}/"; sid:1;)`)],
        { variables: {} },
      );
      if (refused.length > 0) {
        assert.match(refused[0]?.reasonClass ?? '', /^regex-(unsafe|untranslatable)$/);
        continue;
      }
      const inspector = createIpsInspector(ruleSet, 'prevent');
      const started = performance.now();
      inspector.inspect(packet(evil), inspector.newFlowState());
      assert.ok(performance.now() - started < 3_000, `/${source}/ took ${performance.now() - started} ms`);
    }
  });

  it('compiled sample rules evaluate garbage units without throwing', () => {
    const { ruleSet } = compileIpsRules(
      SAMPLES.map((s, k) => suricata(s, `sid:${k + 1}`)),
      { variables: VARS },
    );
    const inspector = createIpsInspector(ruleSet, 'prevent');
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 100 }), (body, target) => {
        inspector.inspect(packet(body), inspector.newFlowState());
        inspector.inspect(httpRequest({ target: `/${target}`, body }), inspector.newFlowState());
      }),
      { numRuns: 500 },
    );
  });
});
