/**
 * Folded runs against real traffic: runs of rules with CIDRs, address ranges and port ranges that
 * overlap one another are compiled into one concatenated interval set or map per run. Every
 * connection must get the verdict the rules one by one would give (checked against a plain model
 * of the rules), and events from folded denies and log-only rules must name the right rules.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FirewallRule } from '@bulwark/module-firewall/engine';
import { moduleConfiguration, platform, quiet } from './configurations.js';
import { A_B, A_C, type AgentWorker, B, C, type Lab, nflogSkipReason, startWorkerLab } from './firewall-lab.js';

const skip = nflogSkipReason(['nft', 'nc', 'ip']);

type Rule = Partial<FirewallRule> & { id: string; action: FirewallRule['action'] };
type Event = { action?: string; ruleId?: string; details?: Record<string, unknown> };

const PORTS = [80, 81, 2000, 2004, 2005, 2011, 2020, 8443];

const rule = (
  id: string,
  action: Rule['action'],
  source: string[],
  destination: string[],
  ports: (number | string)[],
) =>
  ({
    id,
    action,
    priority: 1,
    protocol: 'tcp',
    source: { addresses: source },
    destination: { addresses: destination },
    destinationPorts: { ports },
  }) as Rule;

/** Rules nobody in the lab matches, to make the runs long enough to fold. */
const filler = (prefix: string, action: Rule['action'], n: number) =>
  Array.from({ length: n }, (_, i) =>
    rule(`${prefix}-${i}`, action, [`192.0.2.${i * 8}/29`], ['10.77.0.0/16'], [3000 + i, `${4000 + i}-${4010 + i}`]),
  );

const RULES: Rule[] = [
  // Log-only: two overlap on 10.77.1.2 → 80; both must log it.
  rule('l-0', 'log-only', ['10.77.1.0/24'], ['10.77.1.1'], [80]),
  rule('l-1', 'log-only', ['10.77.1.2'], ['10.77.0.0/16'], [80, 2020]),
  ...filler('l-x', 'log-only', 6),
  // Denies: d-0 and d-1 overlap on 10.77.1.2 → 2005; d-0 comes first and must be named.
  rule('d-0', 'deny', ['10.77.1.0/24'], ['10.77.1.1'], ['2000-2010', 8443]),
  rule('d-1', 'deny', ['10.77.1.2'], ['10.77.1.0/24'], [2005, 2020]),
  rule('d-2', 'deny', ['10.77.2.0-10.77.2.9'], ['10.77.2.1'], ['2000-2003', 81]),
  ...filler('d-x', 'deny', 7),
  // Allows: what the denies leave of these passes; everything else meets the implicit deny.
  rule('a-0', 'allow', ['10.77.0.0/16'], ['10.77.1.1'], ['2000-2010', 2020, 80]),
  rule('a-1', 'allow', ['10.77.2.2'], ['10.77.2.0/24'], ['2000-2010', 81, 8443]),
  ...filler('a-x', 'allow', 8),
];

const ip4 = (a: string) => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
function inAddresses(terms: readonly string[], address: string): boolean {
  const x = ip4(address);
  return terms.some((t) => {
    if (t.includes('/')) {
      const [base = '', bits = '32'] = t.split('/');
      const size = 2 ** (32 - Number(bits));
      return x >= ip4(base) && x < ip4(base) + size;
    }
    const [low = '', high = low] = t.split('-');
    return x >= ip4(low) && x <= ip4(high);
  });
}
const inPorts = (terms: readonly (number | string)[], port: number) =>
  terms.some((t) => {
    const [low = '0', high = low] = String(t).split('-');
    return port >= Number(low) && port <= Number(high);
  });
const matches = (r: Rule, source: string, destination: string, port: number) =>
  inAddresses(r.source?.addresses ?? [], source) &&
  inAddresses(r.destination?.addresses ?? [], destination) &&
  inPorts(r.destinationPorts?.ports ?? [], port);

/** What the rules one at a time decide: deny before allow (same priority), then implicit deny. */
function expected(source: string, destination: string, port: number) {
  const first = (action: Rule['action']) =>
    RULES.filter((r) => r.action === action)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .find((r) => matches(r, source, destination, port));
  const logged = RULES.filter((r) => r.action === 'log-only' && matches(r, source, destination, port)).map((r) => r.id);
  const deny = first('deny');
  return { allowed: !deny && first('allow') !== undefined, deniedBy: deny?.id, logged };
}

describe('folded runs of rules with real traffic', { skip }, () => {
  let lab: Lab;
  let worker: AgentWorker;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ lab, worker, close } = await startWorkerLab(PORTS));
    const applied = await worker.apply({ configuration: moduleConfiguration(RULES, quiet), platform: platform() });
    assert.equal((applied.status as { state: string }).state, 'on', JSON.stringify(applied.status));
  });

  after(() => close?.());

  test('the runs are folded into interval maps and sets', () => {
    const chain = lab.exec(lab.a, 'nft', ['list', 'chain', 'inet', 'bulwark', 'input']).stdout;
    assert.match(chain, /meta mark set ip saddr \. ip daddr \. tcp dport map @f\d+_0/, chain);
    assert.match(chain, /meta mark set ip saddr \. ip daddr \. tcp dport map @f\d+\n/, chain);
    assert.match(chain, /ip saddr \. ip daddr \. tcp dport @f\d+ accept/, chain);
    assert.ok(chain.split('\n').length < 40, `a few nft rules, not one per value:\n${chain}`);
  });

  test('every connection gets the verdict of the rules one by one', () => {
    const wrong: string[] = [];
    for (const [ns, source, destination] of [
      [lab.b, B, A_B],
      [lab.c, C, A_C],
    ] as const) {
      for (const port of PORTS) {
        const want = expected(source, destination, port).allowed;
        if (lab.connects(ns, destination, port) !== want)
          wrong.push(`${source} → ${destination}:${port} should be ${want ? 'allowed' : 'denied'}`);
      }
    }
    // Both verdicts occur, or the comparison would prove little.
    assert.ok(expected(B, A_B, 2020).allowed === false && expected(C, A_C, 2004).allowed === true);
    assert.deepEqual(wrong, []);
  });

  test('an event from a folded deny names the first rule that matches; folded log-only rules all log', async () => {
    assert.equal(expected(B, A_B, 2005).deniedBy, 'd-0');
    assert.equal(expected(B, A_B, 2020).deniedBy, 'd-1');
    assert.deepEqual(expected(B, A_B, 80).logged, ['l-0', 'l-1']);
    for (const port of [2005, 2020, 80]) lab.connects(lab.b, A_B, port);
    const found = async (id: string, port: number) => {
      const line = await worker.waitFor((l) => {
        const e = l.event as Event | undefined;
        return e?.ruleId === id && e.details?.destinationPort === port;
      });
      return line.event as Event;
    };
    assert.equal((await found('d-0', 2005)).action, 'Deny');
    assert.equal((await found('d-1', 2020)).action, 'Deny');
    assert.equal((await found('l-0', 80)).action, 'Log Only');
    assert.equal((await found('l-1', 80)).action, 'Log Only');
    const named = worker.lines
      .map((l) => l.event as Event | undefined)
      .filter((e) => e?.details?.destinationPort === 2005)
      .map((e) => e?.ruleId);
    assert.ok(!named.includes('d-1'), `2005 is d-0's, the first deny: ${named}`);
  });
});
