import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decideOnCertificate, MAX_CERTIFICATE_NAMES_DECIDED } from './certificate-decision.js';
import { compileReputation } from './compiled-reputation.js';
import { WebReputation } from './web-reputation.js';
import type { WebrepConfiguration } from './webrep-configuration.js';

const config: WebrepConfiguration = {
  detectOnly: false,
  securityLevel: 'medium',
  blockUnrated: true,
  blockedCategories: [],
  allow: [],
  block: ['*.bad.example'],
  reputation: null,
  httpPorts: [80],
  tlsPorts: [443],
  blockPage: true,
};
const feed = compileReputation(1, 'target,risk,category\nrated.example,10,news\nrisky.example,95,malware\n').data;
const decision = new WebReputation(config, feed);

test('a blocked name blocks; "unrated" blocks only when no name is rated', () => {
  const d = (dnsNames: string[], subjectCommonName?: string) =>
    decideOnCertificate({ dnsNames, ...(subjectCommonName ? { subjectCommonName } : {}) }, undefined, decision);
  assert.deepEqual(
    [d(['rated.example', 'a.bad.example'])?.verdict.source, d(['rated.example', 'a.bad.example'])?.host],
    ['block-list', 'a.bad.example'],
  );
  assert.equal(d(['rated.example', 'risky.example'])?.verdict.source, 'reputation');
  assert.equal(d(['rated.example', 'nobody.example'])?.verdict.action, 'pass');
  assert.deepEqual(
    [d(['nobody.example'], 'nobody2.example')?.verdict.source, d(['nobody.example'], 'nobody2.example')?.host],
    ['unrated', 'nobody2.example'],
  );
  assert.equal(d(['*.bad.example'])?.verdict.action, 'block');
  assert.equal(d(['bad.example'])?.verdict.action, 'block', 'unrated');
  assert.equal(d([]), undefined);
  assert.equal(d(['not a name', '-x-']), undefined);
});

test('property: any names give a verdict or nothing, and never throw', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ maxLength: 80 }), { maxLength: MAX_CERTIFICATE_NAMES_DECIDED + 5 }),
      fc.option(fc.string()),
      (names, cn) => {
        const r = decideOnCertificate(
          { dnsNames: names, ...(cn === null ? {} : { subjectCommonName: cn }) },
          undefined,
          decision,
        );
        if (r) assert.ok(['pass', 'block'].includes(r.verdict.action));
      },
    ),
    { numRuns: 500 },
  );
});
