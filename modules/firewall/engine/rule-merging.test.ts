import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleset } from './nft-compiler.js';
import { groupRuns, MIN_MERGED_RUN, simpleKey } from './rule-merging.js';
import { orderRules } from './rule-order.js';
import { configuration } from './test-fixtures.js';

const quiet = { detectPortScans: false, detectNetworkSweeps: false, detectTcpProbes: false };
const groups = { mode: 'inline' as const, eventGroup: 10, reconGroup: 11 };

test('only rules with one address and/or one port and nothing else are mergeable', () => {
  const [a, b, c, d] = configuration([
    { protocol: 'tcp', source: { addresses: ['10.0.0.1'] }, destinationPorts: { ports: [22] } },
    { protocol: 'tcp', source: { addresses: ['10.0.0.0/8'] }, destinationPorts: { ports: [22] } },
    { protocol: 'tcp', destinationPorts: { ports: ['1-2'] } },
    { protocol: 'udp', destinationPorts: { ports: [53] }, interface: { namePattern: 'eth0' } },
  ]).rules;
  assert.equal(simpleKey(a as never)?.shape, 'tcp|ipv4|port');
  assert.equal(simpleKey(b as never), undefined);
  assert.equal(simpleKey(c as never), undefined);
  assert.equal(simpleKey(d as never), undefined);
});

test('a long run of simple denies becomes one map lookup; the first of equal keys keeps its rule', () => {
  const rules = Array.from({ length: 20 }, (_, i) => ({
    id: `d${String(i).padStart(2, '0')}`,
    protocol: 'tcp' as const,
    source: { addresses: [`10.0.0.${i % 15}`] },
    destinationPorts: { ports: [1000 + (i % 15)] },
  }));
  const config = configuration(rules, quiet);
  const runs = groupRuns(orderRules(config.rules));
  assert.equal(runs.length, 1);
  const { script } = compileRuleset(config, groups);
  const map = /meta mark set ip saddr \. tcp dport map \{ ([^}]*) \}/.exec(script);
  assert.ok(map, script);
  const elements = (map[1] as string).split(', ');
  assert.equal(elements.length, 15, 'duplicates collapse');
  assert.ok(elements.includes('10.0.0.0 . 1000 : 0x62000000'), 'the first rule keeps the key');
  assert.match(script, /meta mark & 0xff000000 == 0x62000000 log group 10 prefix "bw\|m\|d" drop/);
});

test('runs stop at a different decision, so priorities and actions keep their meaning', () => {
  const n = MIN_MERGED_RUN;
  const config = configuration(
    [
      ...Array.from({ length: n }, (_, i) => ({
        id: `a${i}`,
        action: 'allow' as const,
        priority: 3,
        protocol: 'tcp' as const,
        destinationPorts: { ports: [i + 1] },
      })),
      { id: 'deny-all', action: 'deny' as const, priority: 2, protocol: 'tcp' as const },
      ...Array.from({ length: n - 1 }, (_, i) => ({
        id: `b${i}`,
        action: 'allow' as const,
        priority: 1,
        protocol: 'tcp' as const,
        destinationPorts: { ports: [i + 100] },
      })),
    ],
    quiet,
  );
  const runs = groupRuns(orderRules(config.rules));
  assert.deepEqual(
    runs.map((r) => (r.merged ? `merged:${r.rules.length}` : r.rule.rule.id)),
    ['merged:8', 'deny-all', ...Array.from({ length: n - 1 }, (_, i) => `b${i}`)],
  );
  const { script } = compileRuleset(config, groups);
  assert.match(script, /tcp dport \{ 1, 2, 3, 4, 5, 6, 7, 8 \} accept/);
});
