import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NewEvent } from '@bulwark/protocol';
import { destinationsService } from '../../packages/platform-manager/src/forwarding/destinations.js';
import { eventMessage } from '../../packages/platform-manager/src/forwarding/event-message.js';
import type { ForwardedEvent } from '../../packages/platform-manager/src/forwarding/forwarded-event.js';
import { type RunningForwarder, startForwarding } from '../../packages/platform-manager/src/forwarding/forwarder.js';
import { siemFieldSource } from '../../packages/platform-manager/src/forwarding/siem-field-source.js';
import { managerModules } from '../../packages/platform-manager/src/modules/registry.js';
import {
  activateComputer,
  alice,
  must,
  openTestServices,
  type TestServices,
} from '../../packages/platform-manager/src/services/test-services.js';
import { testStores } from '../../packages/platform-manager/src/storage/test-stores.js';
import { RsyslogCollector, rsyslogUnavailable } from './rsyslog-collector.js';

const identity = { vendor: 'Bulwark', product: 'Bulwark', version: '0.1.0' };
const siemFields = siemFieldSource(managerModules);
const unavailable = rsyslogUnavailable();
if (unavailable !== null) console.log(`# skipping syslog forwarding tests: ${unavailable}`);

let nextSeq = 1;
function numbered(events: readonly NewEvent[]) {
  return events.map((e) => ({ ...e, seq: nextSeq++, time: e.time ?? new Date().toISOString() }));
}

const firewallEvent: NewEvent = {
  module: 'firewall',
  type: 'packet',
  severity: 'low',
  ruleId: 'fw-ssh',
  action: 'Deny',
  summary: 'Deny: tcp 10.1.2.3:5555 -> 10.9.9.9:22 inbound by "ssh | deny = yes"\nsecond line\\ with backslash',
  details: {
    source: '10.1.2.3',
    destination: '10.9.9.9',
    sourcePort: 5555,
    destinationPort: 22,
    protocol: 'tcp',
    direction: 'inbound',
    interface: 'eth0',
    repeatCount: 2,
    bytes: 120,
    rule: 'ssh',
  },
};
const integrityEvent: NewEvent = {
  module: 'integrity',
  type: 'updated',
  severity: 'high',
  ruleId: 'fim-etc',
  action: 'Log',
  summary: 'Changed file /etc/pässwd — tab\there (hash)',
  details: {
    rule: { id: 'fim-etc', name: 'System files' },
    entity: { kind: 'files', path: '/etc/pässwd' },
    changes: [{ attribute: 'sha256' }],
    source: 'real-time',
  },
};
const agentEvent: NewEvent = { module: 'agent', type: 'configuration-applied', severity: 'info', summary: 'applied' };

for (const store of await testStores()) {
  describe(`forwarding to a real rsyslog (${store.name})`, { skip: unavailable ?? store.skip }, () => {
    let collector: RsyslogCollector;
    let t: TestServices;
    let forwarder: RunningForwarder | null = null;
    let computerId: string;
    let otherComputerId: string;
    let policyId: string;
    const destinations = () => destinationsService(t.store.db, t.clock.now);

    before(async () => {
      collector = await RsyslogCollector.start();
      t = await openTestServices(store);
      const parent = must(await t.services.policies.create({ name: 'Servers' }, alice));
      const child = must(await t.services.policies.create({ name: 'Web', parentId: parent.id }, alice));
      policyId = parent.id;
      computerId = await activateComputer(t.services, 'web-1.example', child.id);
      otherComputerId = await activateComputer(t.services, 'laptop', null);
    });
    after(async () => {
      await forwarder?.stop();
      await collector?.stop();
      await t?.close();
    });

    /** What the forwarder must have sent for every stored event of `computer` matching `keep`. */
    async function expected(format: 'cef' | 'leef' | 'json', keep: (e: ForwardedEvent) => boolean) {
      const page = must(await t.services.events.query({ limit: 500 }));
      const out: string[] = [];
      for (const stored of [...page.items].reverse()) {
        const computer = must(await t.services.computers.get(stored.computerId));
        const event: ForwardedEvent = {
          ...stored,
          computer: { hostname: computer.hostname, name: computer.name, policyId: computer.policyId },
        };
        if (keep(event)) out.push(eventMessage(event, format, identity, siemFields));
      }
      return out;
    }

    test('UDP/CEF, TCP/LEEF and TLS/JSON arrive intact, one event per line, filtered', async () => {
      must(
        await destinations().create(
          { name: 'udp cef', transport: 'udp', host: '127.0.0.1', port: collector.ports.udp, format: 'cef' },
          alice,
        ),
      );
      must(
        await destinations().create(
          {
            name: 'tcp leef, firewall+integrity, low+, Servers policy',
            transport: 'tcp',
            host: '127.0.0.1',
            port: collector.ports.tcp,
            format: 'leef',
            modules: ['firewall', 'integrity'],
            minimumSeverity: 'low',
            policyId,
          },
          alice,
        ),
      );
      must(
        await destinations().create(
          {
            name: 'tls json',
            transport: 'tls',
            host: '127.0.0.1',
            port: collector.ports.tls,
            format: 'json',
            caCertificate: collector.certificatePem,
          },
          alice,
        ),
      );
      must(await t.services.events.ingest(computerId, numbered([firewallEvent, integrityEvent, agentEvent])));
      must(await t.services.events.ingest(otherComputerId, numbered([firewallEvent])));
      forwarder = startForwarding({
        db: t.store.db,
        identity,
        siemFields,
        pollIntervalMs: 50,
        minRetryMs: 100,
        maxRetryMs: 500,
      });

      const udp = await expected('cef', () => true);
      assert.equal(udp.length, 4);
      assert.deepEqual(await collector.waitFor('udp', (l) => l.length >= 4), udp);
      const leef = await expected(
        'leef',
        (e) => e.computerId === computerId && (e.module === 'firewall' || e.module === 'integrity'),
      );
      assert.equal(leef.length, 2, 'agent info event and the computer outside the policy are filtered out');
      assert.deepEqual(await collector.waitFor('tcp', (l) => l.length >= 2), leef);
      const json = await expected('json', () => true);
      const tls = await collector.waitFor('tls', (l) => l.length >= 4);
      assert.deepEqual(tls, json);

      // What a SIEM reads back out of each line.
      const cefFirewall = udp[0] ?? '';
      assert.match(
        cefFirewall,
        /^<133>1 \S+ web-1\.example bulwark - firewall - CEF:0\|Bulwark\|Bulwark\|0\.1\.0\|firewall:packet\|/,
      );
      assert.ok(
        cefFirewall.includes(
          'msg=Deny: tcp 10.1.2.3:5555 -> 10.9.9.9:22 inbound by "ssh | deny \\= yes"\\nsecond line\\\\ with backslash',
        ),
      );
      assert.ok(cefFirewall.includes(' src=10.1.2.3 ') && cefFirewall.includes(' dpt=22 '));
      assert.ok((leef[1] ?? '').includes('\tfilePath=/etc/pässwd\t'));
      const parsed = JSON.parse((tls[1] ?? '').replace(/^.*? - integrity - /, '')) as {
        summary: string;
        details: unknown;
      };
      assert.equal(parsed.summary, integrityEvent.summary);
      assert.deepEqual(parsed.details, integrityEvent.details);
    });

    test('a collector that is down loses nothing: events queue, the backlog is reported, all arrive on restart', async () => {
      const tcp = must(await destinations().list()).find((d) => d.transport === 'tcp');
      assert.ok(tcp);
      const before = collector.lines('tcp').length;
      await collector.pause();
      must(
        await t.services.events.ingest(
          computerId,
          numbered(Array.from({ length: 30 }, (_, i) => ({ ...firewallEvent, summary: `outage ${i}\nline two` }))),
        ),
      );
      forwarder?.poke();
      // The forwarder tries, fails, keeps the events queued and says why.
      const deadline = Date.now() + 15_000;
      let status = must(await destinations().status(tcp.id));
      while (status.lastError === null && Date.now() < deadline) {
        await sleep(50);
        status = must(await destinations().status(tcp.id));
      }
      assert.notEqual(status.lastError, null, 'the failure is reported');
      assert.equal(status.backlog, 30);
      await collector.resume();
      const lines = await collector.waitFor('tcp', (l) => l.length >= before + 30, 30_000);
      const sent = lines.slice(before).filter((l) => l.includes('summary=outage '));
      assert.deepEqual(
        sent.map((l) => /summary=(outage \d+)/.exec(l)?.[1]),
        Array.from({ length: 30 }, (_, i) => `outage ${i}`),
        'all of them, in order, once',
      );
      // The forwarder records what it sent after the send: wait for that record, not for a time.
      const recorded = Date.now() + 15_000;
      status = must(await destinations().status(tcp.id));
      while ((status.backlog !== 0 || status.sent !== 32) && Date.now() < recorded) {
        await sleep(50);
        status = must(await destinations().status(tcp.id));
      }
      assert.equal(status.backlog, 0);
      assert.equal(status.lastError, null);
      assert.equal(status.skipped, 0);
      assert.equal(status.sent, 32);
    });
  });
}
