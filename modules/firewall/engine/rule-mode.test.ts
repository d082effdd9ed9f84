import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleset } from './nft-compiler.js';
import { emptyLists } from './rule-schema.js';
import { validateRule } from './rule-validator.js';
import { configuration } from './test-fixtures.js';

const options = { mode: 'inline' as const, eventGroup: 7, reconGroup: 8, tableVersion: 'abc123' };
const inputChain = (script: string) => script.slice(script.indexOf('chain input'), script.indexOf('chain output'));

test('a deny rule in detect mode logs a would-be drop and lets the packet go on to the next rule', () => {
  const config = configuration([
    { id: 'watch-23', action: 'deny', mode: 'detect', protocol: 'tcp', destinationPorts: { ports: [23] } },
    { id: 'deny-25', action: 'deny', protocol: 'tcp', destinationPorts: { ports: [25] } },
  ]);
  const chain = inputChain(compileRuleset(config, options).script);
  const detect = chain.split('\n').find((l) => l.includes('tcp dport 23'));
  assert.match(
    detect ?? '',
    /tcp dport 23 log group 7 prefix "bw\|abc123\|0\|t"$/,
    'a log with no verdict: evaluation goes on',
  );
  const prevent = chain.split('\n').find((l) => l.includes('tcp dport 25'));
  assert.match(prevent ?? '', /prefix "bw\|abc123\|1\|d" drop$/);
});

test('deny rules in detect mode are never folded into a map that drops', () => {
  const rules = Array.from({ length: 12 }, (_, i) => ({
    id: `d${i}`,
    action: 'deny' as const,
    protocol: 'tcp' as const,
    destinationPorts: { ports: [7000 + i] },
    ...(i % 2 === 0 ? { mode: 'detect' as const } : {}),
  }));
  const chain = inputChain(compileRuleset(configuration(rules), options).script);
  for (let i = 0; i < 12; i += 2)
    assert.match(chain, new RegExp(`tcp dport ${7000 + i} log group 7 prefix "bw\\|abc123\\|${i}\\|t"\\n`));
  assert.doesNotMatch(chain, /tcp dport 7000 [^\n]*drop/);
});

test('detect is for deny rules; prevent is accepted anywhere; other values are refused', () => {
  const base = { id: 'x', name: 'X', priority: 0, direction: 'incoming' };
  assert.ok(validateRule({ ...base, action: 'deny', mode: 'detect' }, emptyLists).ok);
  assert.ok(validateRule({ ...base, action: 'allow', mode: 'prevent' }, emptyLists).ok);
  const allow = validateRule({ ...base, action: 'allow', mode: 'detect' }, emptyLists);
  assert.ok(!allow.ok);
  assert.equal(allow.issues[0]?.path, '/mode');
  assert.match(allow.issues[0]?.message ?? '', /applies to deny rules only/);
  const bad = validateRule({ ...base, action: 'deny', mode: 'watch' }, emptyLists);
  assert.ok(!bad.ok);
  assert.deepEqual(bad.issues, [{ path: '/mode', message: 'mode must be "prevent" or "detect"' }]);
});
