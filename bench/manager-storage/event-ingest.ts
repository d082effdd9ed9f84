/**
 * Event ingest throughput of the manager's storage, without HTTP: batches of 500 events from
 * several computers through `events.ingest`, on SQLite and (when reachable) PostgreSQL, then a
 * re-send of the same batches (all duplicates), then a filtered query and a full export.
 *
 *   node --import tsx bench/manager-storage/event-ingest.ts [--events 100000] [--batch 500]
 */
import { parseArgs } from 'node:util';
import type { AgentEvent } from '@bulwark/protocol';
import { createServices, SYSTEM_ACTOR } from '../../packages/platform-manager/src/services/index.js';
import { testStores } from '../../packages/platform-manager/src/storage/test-stores.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '100000' }, batch: { type: 'string', default: '500' } },
});
const total = Number(values.events);
const batchSize = Number(values.batch);
const COMPUTERS = 10;
const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

function batchFor(computer: number, from: number, count: number): AgentEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = from + i;
    return {
      seq,
      time: new Date(Date.UTC(2026, 0, 1) + seq * 10).toISOString(),
      module: ['firewall', 'ips', 'integrity'][seq % 3] as string,
      type: 'deny',
      severity: SEVERITIES[(seq + computer) % 5] as (typeof SEVERITIES)[number],
      ruleId: `rule-${seq % 97}`,
      action: 'Reset',
      summary: `blocked connection ${seq} from 10.0.${computer}.${seq % 250}`,
      details: { source: `10.0.${computer}.${seq % 250}`, port: 1024 + (seq % 50000), bytes: seq % 1500 },
    };
  });
}

for (const testStore of await testStores()) {
  if (testStore.skip) {
    console.log(`${testStore.name}: skipped (${testStore.skip})`);
    continue;
  }
  const store = await testStore.open();
  try {
    const services = createServices({ db: store.db });
    const ids: string[] = [];
    for (let c = 0; c < COMPUTERS; c++) {
      const created = await services.activationTokens.create({}, SYSTEM_ACTOR);
      if (!created.ok) throw new Error(created.error.message);
      const { token } = created.value;
      const activated = await services.computers.activate({ token, hostname: `bench-${c}`, agentVersion: 'bench' });
      if (!activated.ok) throw new Error(activated.error.message);
      ids.push(activated.value.computerId);
    }
    const batches: { computerId: string; events: AgentEvent[] }[] = [];
    const perComputer = Math.ceil(total / COMPUTERS);
    for (let from = 1; from <= perComputer; from += batchSize) {
      ids.forEach((computerId, c) => {
        batches.push({ computerId, events: batchFor(c, from, Math.min(batchSize, perComputer - from + 1)) });
      });
    }
    const stored = batches.reduce((n, b) => n + b.events.length, 0);

    let started = performance.now();
    let accepted = 0;
    for (const { computerId, events } of batches) {
      const result = await services.events.ingest(computerId, events);
      if (!result.ok) throw new Error(result.error.message);
      accepted += result.value.accepted;
    }
    const ingestSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    let duplicates = 0;
    for (const { computerId, events } of batches.slice(0, Math.ceil(batches.length / 10))) {
      const result = await services.events.ingest(computerId, events);
      if (result.ok) duplicates += result.value.duplicates;
    }
    const duplicateSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    const page = await services.events.query({ computerId: ids[3], module: 'ips', severity: 'high', limit: 100 });
    const querySeconds = (performance.now() - started) / 1000;

    started = performance.now();
    let exported = 0;
    const iterable = services.events.export({});
    if (!iterable.ok) throw new Error(iterable.error.message);
    for await (const _ of iterable.value) exported++;
    const exportSeconds = (performance.now() - started) / 1000;

    const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en')} events/s`;
    console.log(
      [
        `${testStore.name}: ${stored} events in ${batches.length} batches of ≤${batchSize} from ${COMPUTERS} computers`,
        `  ingest     ${rate(accepted, ingestSeconds)} (${ingestSeconds.toFixed(2)} s, accepted ${accepted})`,
        `  re-send    ${rate(duplicates, duplicateSeconds)} (all ${duplicates} counted as duplicates)`,
        `  query      ${(querySeconds * 1000).toFixed(1)} ms for a filtered page of ${page.ok ? page.value.items.length : 0}`,
        `  export     ${rate(exported, exportSeconds)} (${exported} rows)`,
      ].join('\n'),
    );
  } finally {
    await store.close();
  }
}
