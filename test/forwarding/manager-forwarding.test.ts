import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, call, startTestManager, type TestManager } from '../manager/manager-harness.js';
import { RsyslogCollector, rsyslogUnavailable } from './rsyslog-collector.js';

const unavailable = rsyslogUnavailable();
if (unavailable !== null) console.log(`# skipping manager forwarding test: ${unavailable}`);

describe('the running manager forwards ingested events to a destination made through the API', {
  skip: unavailable ?? false,
}, () => {
  let collector: RsyslogCollector;
  let t: TestManager;
  before(async () => {
    collector = await RsyslogCollector.start();
    t = await startTestManager();
  });
  after(async () => {
    await t?.close();
    await collector?.stop();
  });

  test('TLS/CEF destination: an administrator creates it, events arrive, the status shows them sent', async () => {
    const ca = t.manager.caCertPem;
    const created = await call(`${t.manager.consoleUrl}/api/forwarding/destinations`, {
      ca,
      headers: bearer(t.keys.administrator),
      body: {
        name: 'rsyslog',
        transport: 'tls',
        host: '127.0.0.1',
        port: collector.ports.tls,
        format: 'cef',
        caCertificate: collector.certificatePem,
        minimumSeverity: 'medium',
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.json.id as string;

    const services = t.manager.services;
    const token = await services.activationTokens.create({ name: 'fwd' }, { kind: 'system', id: null, name: 'test' });
    assert.ok(token.ok);
    const activated = await services.computers.activate({
      token: token.value.token,
      hostname: 'app-7',
      agentVersion: '0.1.0',
    });
    assert.ok(activated.ok);
    const time = new Date().toISOString();
    const ingested = await services.events.ingest(activated.value.computerId, [
      {
        seq: 1,
        time,
        module: 'integrity',
        type: 'deleted',
        severity: 'critical',
        summary: 'Deleted file /usr/bin/sudo',
        details: { entity: { kind: 'files', path: '/usr/bin/sudo' } },
      },
      { seq: 2, time, module: 'firewall', type: 'packet', severity: 'low', summary: 'below the minimum severity' },
    ]);
    assert.ok(ingested.ok);

    const [line] = await collector.waitFor('tls', (l) => l.length >= 1);
    assert.match(
      line ?? '',
      /^<130>1 \S+ app-7 bulwark - integrity - CEF:0\|Bulwark\|Bulwark\|[^|]+\|integrity:deleted\|Deleted file \/usr\/bin\/sudo\|10\|/,
    );
    assert.ok((line ?? '').includes(' filePath=/usr/bin/sudo '));
    let status = await call(`${t.manager.consoleUrl}/api/forwarding/destinations/${id}/status`, {
      ca,
      headers: bearer(t.keys.auditor),
    });
    for (let i = 0; i < 100 && status.json?.sent !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await call(`${t.manager.consoleUrl}/api/forwarding/destinations/${id}/status`, {
        ca,
        headers: bearer(t.keys.auditor),
      });
    }
    assert.equal(status.status, 200);
    assert.equal(status.json.sent, 1);
    assert.equal(status.json.backlog, 0);
    assert.deepEqual(collector.lines('tls').length, 1, 'the low-severity event is not forwarded');
  });
});
