import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentModuleContext, NewEvent, PlatformSettings } from '@bulwark/protocol';
import { PlatformSettings as PlatformSchema } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import type { IpsConfiguration } from '../engine/ips-configuration.js';
import type { IpsEngineApi, IpsFinding, IpsMode, IpsRule } from '../engine/ips-engine-contract.js';
import { IpsAgent } from './ips-agent.js';
import type { FindingsReport, IpsTrafficOptions, IpsTrafficPort } from './traffic-port.js';

// A stand-in engine and traffic port: the agent's own logic (what it compiles, starts, counts and
// reports) is what these tests look at; the real engine and runtime have their own tests and the
// system tests in test/ips/ run all of it together.
const platform = (mode: 'inline' | 'tap'): PlatformSettings => ({
  ...(Value.Create(PlatformSchema) as PlatformSettings),
  networkEngineMode: mode,
});

const rule = (id: string, text = 'content:"x";'): IpsRule => ({
  id,
  format: 'suricata',
  name: `rule ${id}`,
  description: '',
  severity: 'high',
  applicationType: { name: 'HTTP', protocol: 'tcp', ports: [80] },
  detection: { kind: 'suricata', rule: `alert tcp any any -> any 80 (msg:"m"; ${text} sid:1;)` },
});

const configuration = (rules: IpsRule[], mode: IpsMode = 'prevent'): IpsConfiguration => ({
  mode,
  variables: { HOME_NET: 'any' },
  inspectionDepthBytes: 4096,
  rules: rules.map((r) => ({ rule: r })),
  rejected: [{ ruleId: 'bw-9', reason: '/mode: bad' }],
});

function harness(startFails?: string) {
  const events: NewEvent[] = [];
  const started: IpsTrafficOptions[] = [];
  const updates: IpsTrafficOptions[] = [];
  let removed = 0;
  let onFindings: ((r: FindingsReport) => void) | undefined;
  let now = 1_000_000;
  const engine: IpsEngineApi = {
    compileIpsRules: (rules) => {
      const refused = rules
        .filter((r) => r.rule.detection.kind === 'suricata' && r.rule.detection.rule.includes('lua'))
        .map((r) => ({ id: r.rule.id, reasonClass: 'unsupported-keyword:lua', reason: 'lua scripts' }));
      return { ruleSet: { ruleCount: rules.length - refused.length, applicationTypes: [] }, refused };
    },
    createIpsInspector: (_set, mode) => ({
      id: `ips-${mode}`,
      ports: [{ protocol: 'tcp', ports: [80] }],
      newFlowState: () => ({}),
      inspect: () => ({ decision: { action: 'pass' }, findings: [] }),
      wantsMore: () => true,
    }),
  };
  const traffic: IpsTrafficPort = {
    async start(options, findings) {
      if (startFails) return { ok: false, reason: startFails };
      started.push(options);
      onFindings = findings;
      return {
        ok: true,
        runtime: {
          update: async (o) => {
            updates.push(o);
            return { ok: true };
          },
          stop: async () => {},
          status: () => ({ counters: { packets: 7 } }),
          kernelHooks: () => ['nftables table inet bulwark_nfq_ips'],
        },
      };
    },
    removeFromHost: async () => {
      removed++;
      return { ok: true };
    },
  };
  const context = { emit: (e: NewEvent) => events.push(e), dataDir: '/nonexistent' } as unknown as AgentModuleContext;
  const agent = new IpsAgent(context, { engine, traffic, foldWindowMs: 5_000, now: () => now });
  return {
    agent,
    events,
    started,
    updates,
    removed: () => removed,
    report: (r: FindingsReport) => onFindings?.(r),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const finding = (action: 'block' | 'detect'): IpsFinding => ({
  ruleId: 'bw-1000001',
  ruleName: 'HTTP URI length',
  severity: 'medium',
  action,
  direction: 'to_server',
  buffer: 'http.uri.raw',
  evidence: '/aaaa',
});
const flow = (clientPort: number) => ({
  protocol: 'tcp' as const,
  clientAddress: '10.0.0.2',
  clientPort,
  serverAddress: '10.0.0.1',
  serverPort: 80,
});

describe('IPS agent', () => {
  test('starts the traffic engine with the inspector and mode; findings become folded events', async () => {
    const h = harness();
    await h.agent.apply(
      { enabled: true, configuration: configuration([rule('sid:1'), rule('sid:2', 'lua:x;')]) },
      platform('inline'),
    );
    assert.equal(h.started.length, 1);
    assert.equal(h.started[0]?.mode, 'inline');
    assert.equal(h.started[0]?.inspector.id, 'ips-prevent');
    assert.equal(h.started[0]?.inspectionDepthBytes, 4096);
    const status = h.agent.status();
    assert.equal(status.state, 'on');
    assert.equal(status.counters?.rules, 1);
    assert.equal(status.counters?.refusedRules, 2);
    assert.equal(status.counters?.packets, 7);
    assert.match(
      status.reason ?? '',
      /2 rules not enforced: bw-9 \(\/mode: bad\); sid:2 \(unsupported-keyword:lua: lua scripts\)/,
    );
    assert.deepEqual(h.agent.kernelHooks(), ['nftables table inet bulwark_nfq_ips']);

    for (const port of [40001, 40002, 40003])
      h.report({
        flow: flow(port),
        direction: 'to_server',
        enforced: true,
        failedOpen: false,
        timeMs: 0,
        findings: [finding('block')],
      });
    await h.agent.stop();
    assert.equal(h.events.length, 1);
    const [event] = h.events;
    assert.equal(event?.action, 'Reset');
    assert.equal(event?.ruleId, 'bw-1000001');
    assert.equal(event?.details?.repeatCount, 3);
    assert.equal(event?.details?.source, '10.0.0.2');
    assert.equal(event?.details?.destinationPort, 80);
    assert.equal(event?.details?.buffer, 'http.uri.raw');
    assert.equal(event?.details?.evidence, '/aaaa');
  });

  test('tap mode reaches the runtime; unenforced blocks and detect-mode findings read "Detect Only: Reset"', async () => {
    const h = harness();
    const config = { enabled: true, configuration: configuration([rule('sid:1')]) };
    await h.agent.apply(config, platform('inline'));
    await h.agent.apply(config, platform('inline'));
    assert.equal(h.updates.length, 0, 'the same configuration twice changes nothing');
    await h.agent.apply(config, platform('tap'));
    assert.equal(h.updates[0]?.mode, 'tap');
    h.report({
      flow: flow(1),
      direction: 'to_server',
      enforced: false,
      failedOpen: false,
      timeMs: 0,
      findings: [finding('block')],
    });
    h.report({
      flow: flow(2),
      direction: 'to_server',
      enforced: true,
      failedOpen: false,
      timeMs: 0,
      findings: [finding('detect')],
    });
    await h.agent.stop();
    assert.deepEqual(
      h.events.map((e) => [e.action, e.details?.repeatCount]),
      [['Detect Only: Reset', 2]],
    );
    assert.equal(h.agent.status().counters?.detectOnly, 2);
  });

  test('a block whose verdict came after the deadline reads "Fail-Open: Reset", not "Reset", and is counted', async () => {
    const h = harness();
    await h.agent.apply({ enabled: true, configuration: configuration([rule('sid:1')]) }, platform('inline'));
    const report = { direction: 'to_server', enforced: true, timeMs: 0, findings: [finding('block')] } as const;
    h.report({ ...report, flow: flow(1), failedOpen: true });
    h.report({ ...report, flow: flow(2), failedOpen: false });
    const counters = h.agent.status().counters;
    await h.agent.stop();
    assert.deepEqual(h.events.map((e) => [e.action, e.details?.failedOpen]).sort(), [
      ['Fail-Open: Reset', true],
      ['Reset', undefined],
    ]);
    const late = h.events.find((e) => e.action === 'Fail-Open: Reset');
    assert.match(String(late?.details?.failOpenReason), /verdict after deadline/);
    assert.match(late?.summary ?? '', /^Fail-Open: Reset: /);
    assert.equal(counters?.resetsFailedOpen, 1);
    assert.equal(counters?.resets, 1);
  });

  test('a refused configuration keeps the one in force; a missing queue makes the module unavailable', async () => {
    const h = harness();
    await h.agent.apply({ enabled: true, configuration: configuration([rule('sid:1')]) }, platform('inline'));
    await h.agent.apply({ enabled: true, configuration: { rules: 'no' } }, platform('inline'));
    assert.equal(h.agent.status().state, 'error');
    assert.match(h.agent.status().reason ?? '', /previous one stays in force/);
    assert.equal(h.agent.kernelHooks().length, 1, 'the runtime still runs');

    const missing = harness('nfqueue: addon not built');
    await missing.agent.apply({ enabled: true, configuration: configuration([rule('sid:1')]) }, platform('inline'));
    assert.deepEqual(
      { state: missing.agent.status().state, reason: missing.agent.status().reason },
      { state: 'unavailable', reason: 'nfqueue: addon not built' },
    );
  });

  test('disabling removes the steering from the host and says off', async () => {
    const h = harness();
    await h.agent.apply({ enabled: true, configuration: configuration([rule('sid:1')]) }, platform('inline'));
    await h.agent.apply({ enabled: false, configuration: null }, platform('inline'));
    assert.equal(h.removed(), 1);
    assert.equal(h.agent.status().state, 'off');
    assert.deepEqual(h.agent.kernelHooks(), []);
  });
});
