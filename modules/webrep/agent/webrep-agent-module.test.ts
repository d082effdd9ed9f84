import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentModuleContext, NewEvent, PlatformSettings } from '@bulwark/protocol';
import type { TrafficFindingsEvent, TrafficRuntimeOptions } from '@bulwark/traffic/runtime';
import type { WebrepConfiguration, WebrepFinding } from '../engine/index.js';
import { createWebrepAgentModule } from './webrep-agent-module.js';

// A stand-in traffic runtime: what the module makes of the runtime's findings events is what these
// tests look at; test/webrep runs the real runtime against real traffic.
const configuration: WebrepConfiguration = {
  detectOnly: false,
  securityLevel: 'medium',
  blockUnrated: false,
  blockedCategories: [],
  allow: [],
  block: ['bad.test'],
  reputation: null,
  httpPorts: [80],
  tlsPorts: [443],
  blockPage: true,
};

async function harness() {
  const events: NewEvent[] = [];
  let onFindings: ((e: TrafficFindingsEvent<WebrepFinding>) => void) | undefined;
  const context = {
    emit: (e: NewEvent) => events.push(e),
    dataDir: '/nonexistent',
    log: { warn: () => {}, info: () => {}, error: () => {}, debug: () => {} },
  } as unknown as AgentModuleContext;
  const module = createWebrepAgentModule(context, {
    start: async (options: TrafficRuntimeOptions<WebrepFinding>) => {
      onFindings = options.onFindings;
      return {
        ok: true,
        runtime: {
          updateInspectors: async () => ({ ok: true }),
          setMode: () => {},
          stats: () => ({ packets: 3, verdictsLate: 1, blocksFailedOpen: 1 }) as never,
          stop: async () => {},
        },
      };
    },
  });
  await module.apply({ enabled: true, configuration }, {} as PlatformSettings);
  const report = (over: Partial<TrafficFindingsEvent<WebrepFinding>>) =>
    onFindings?.({
      inspectorId: 'webrep',
      findings: [
        {
          blockId: 'b1',
          verdict: { action: 'block', source: 'block-list', reason: 'on the block list', entry: 'bad.test' },
          seen: 'http',
          host: 'bad.test',
          url: 'bad.test/x',
          address: '192.0.2.1',
          port: 80,
          detectOnly: false,
        },
      ],
      blocked: true,
      enforced: true,
      answered: true,
      failedOpen: false,
      flow: { protocol: 'tcp', clientAddress: '192.0.2.9', clientPort: 1, serverAddress: '192.0.2.1', serverPort: 80 },
      direction: 'to_server',
      timeMs: 0,
      ...over,
    });
  return { module, events, report };
}

describe('web reputation agent module', () => {
  test('a block whose verdict came after the deadline says "Fail-Open: …", not that it blocked', async () => {
    const h = await harness();
    h.report({});
    h.report({ failedOpen: true });
    h.report({ failedOpen: true, answered: false });
    assert.deepEqual(
      h.events.map((e) => e.action),
      ['Block Page', 'Fail-Open: Block Page', 'Fail-Open: Reset'],
    );
    const late = h.events[1];
    assert.equal(late?.details?.failedOpen, true);
    assert.match(String(late?.details?.failOpenReason), /verdict after deadline/);
    assert.match(late?.summary ?? '', /^Blocked too late \(passed\) bad\.test\/x/);
    assert.equal(h.events[0]?.details?.failedOpen, undefined);
    const counters = h.module.status().counters;
    assert.equal(counters?.blocked, 1);
    assert.equal(counters?.blockedFailedOpen, 2);
    assert.equal(counters?.blocksFailedOpen, 1, "the runtime's count of late block verdicts");
    await h.module.stop();
  });
});
