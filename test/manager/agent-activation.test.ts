import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  bearer,
  call,
  foreignClientCertificate,
  makeKeyAndCsr,
  startTestManager,
  type TestManager,
} from './manager-harness.js';

const HOUR = 3_600_000;

describe('agent port: activation and client certificates', () => {
  let t: TestManager;
  let clockOffset = 0;
  const admin = { kind: 'system' as const, id: null, name: 'test' };

  before(async () => {
    t = await startTestManager({ now: () => Date.now() + clockOffset });
  });
  after(async () => {
    await t?.close();
  });

  async function newToken(
    input: { expiresAt?: string; maxUses?: number } = {},
  ): Promise<{ id: string; token: string }> {
    const created = await t.manager.services.activationTokens.create(input, admin);
    assert.ok(created.ok, created.ok ? '' : created.error.message);
    return { id: created.value.activationToken.id, token: created.value.token };
  }

  async function computerCount(): Promise<number> {
    const listed = await t.manager.services.computers.list({ limit: 500 });
    assert.ok(listed.ok);
    return listed.value.items.length;
  }

  async function activate(token: string, csrPem?: string) {
    const csr = csrPem ?? (await makeKeyAndCsr()).csrPem;
    return call(`${t.manager.agentUrl}/agent/v1/activate`, {
      body: { token, csr, hostname: 'web-01', agentVersion: '0.1.0', platform: 'Debian GNU/Linux 12 (x86_64)' },
      ca: t.manager.caCertPem,
    });
  }

  async function activated(): Promise<{ computerId: string; keyPem: string; certPem: string }> {
    const { token } = await newToken();
    const { keyPem, csrPem } = await makeKeyAndCsr();
    const answer = await activate(token, csrPem);
    assert.equal(answer.status, 200, answer.text);
    return { computerId: answer.json.computerId, keyPem, certPem: answer.json.certificate };
  }

  test('a good token activates: a certificate for the computer, chained to the manager CA', async () => {
    const before = await computerCount();
    const { token } = await newToken();
    const answer = await activate(token);
    assert.equal(answer.status, 200, answer.text);
    const { computerId, certificate, caCertificate, heartbeatIntervalSeconds } = answer.json;
    assert.equal(caCertificate, t.manager.caCertPem);
    assert.ok(Number.isInteger(heartbeatIntervalSeconds));
    const cert = new X509Certificate(certificate);
    assert.equal(cert.subject, `CN=${computerId}`);
    assert.ok(cert.verify(new X509Certificate(t.manager.caCertPem).publicKey));
    assert.equal(await computerCount(), before + 1);
    const stored = await t.manager.services.computers.get(computerId);
    assert.ok(stored.ok);
    assert.equal(stored.value.hostname, 'web-01');
    assert.ok(stored.value.certificateSerial);
  });

  test('wrong, expired, used-up and revoked tokens are refused with a clear 401 and store nothing', async () => {
    const expiring = await newToken({ expiresAt: new Date(Date.now() + HOUR).toISOString() });
    const once = await newToken({ maxUses: 1 });
    assert.equal((await activate(once.token)).status, 200);
    const revoked = await newToken();
    assert.ok((await t.manager.services.activationTokens.revoke(revoked.id, admin)).ok);
    const before = await computerCount();
    clockOffset = 2 * HOUR;
    try {
      const cases: [string, string, RegExp][] = [
        ['wrong', 'bwat_this-token-does-not-exist', /not valid/],
        ['expired', expiring.token, /expired/],
        ['used up', once.token, /used|uses/],
        ['revoked', revoked.token, /revoked/],
      ];
      for (const [label, token, reason] of cases) {
        const answer = await activate(token);
        assert.equal(answer.status, 401, `${label}: ${answer.text}`);
        assert.equal(answer.json.type, 'urn:bulwark:problem:unauthenticated', label);
        assert.match(answer.json.detail, reason, label);
        assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
      }
    } finally {
      clockOffset = 0;
    }
    assert.equal(await computerCount(), before);
  });

  test('a malformed or forged CSR is a 400 that stores nothing and does not spend the token', async () => {
    const once = await newToken({ maxUses: 1 });
    const before = await computerCount();
    const { csrPem } = await makeKeyAndCsr();
    // Flip a byte of the signature: the CSR still decodes but no longer proves the key.
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 2] = der[der.length - 2]! ^ 0xff;
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    for (const csr of [
      'not a csr',
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----',
      forged,
    ]) {
      const answer = await activate(once.token, csr);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.json.type, 'urn:bulwark:problem:validation');
      assert.match(answer.json.detail, /CSR/);
    }
    assert.equal(await computerCount(), before);
    assert.equal((await activate(once.token)).status, 200, 'the token still has its one use');
  });

  test('malformed JSON, unknown fields, wrong content type and oversize bodies are problems; nothing stored', async () => {
    const { token } = await newToken();
    const before = await computerCount();
    const url = `${t.manager.agentUrl}/agent/v1/activate`;
    const { csrPem } = await makeKeyAndCsr();
    const good = { token, csr: csrPem, hostname: 'h', agentVersion: '1' };
    const cases: [string, Parameters<typeof call>[1], number, string][] = [
      [
        'malformed JSON',
        { rawBody: '{"token": ', headers: { 'content-type': 'application/json' }, ca: '' },
        400,
        'validation',
      ],
      ['unknown field', { body: { ...good, admin: true }, ca: '' }, 400, 'validation'],
      ['missing field', { body: { token, csr: csrPem }, ca: '' }, 400, 'validation'],
      [
        'text/plain',
        { rawBody: JSON.stringify(good), headers: { 'content-type': 'text/plain' }, ca: '' },
        415,
        'unsupported-media-type',
      ],
      ['oversize', { body: { ...good, platform: 'x'.repeat(200_000) }, ca: '' }, 413, 'payload-too-large'],
      [
        'prototype poisoning',
        {
          rawBody: `{"__proto__":{"x":1},"token":"${token}"}`,
          headers: { 'content-type': 'application/json' },
          ca: '',
        },
        400,
        'validation',
      ],
    ];
    for (const [label, options, status, type] of cases) {
      const answer = await call(url, { ...options, ca: t.manager.caCertPem });
      assert.equal(answer.status, status, `${label}: ${answer.text}`);
      assert.equal(answer.json?.type, `urn:bulwark:problem:${type}`, label);
    }
    assert.equal(await computerCount(), before);
  });

  test('every other agent route needs a client certificate', async () => {
    const answer = await call(`${t.manager.agentUrl}/agent/v1/heartbeat`, {
      body: {
        appliedConfigurationVersion: null,
        modules: [],
        spool: { pendingEvents: 0, droppedEvents: 0 },
        agentVersion: '1',
      },
      ca: t.manager.caCertPem,
    });
    assert.equal(answer.status, 401);
    assert.equal(answer.json.type, 'urn:bulwark:problem:unauthenticated');
  });

  test('a client certificate from another CA is refused, even naming a real computer', async () => {
    const real = await activated();
    const impostor = await foreignClientCertificate(real.computerId);
    const answer = await call(`${t.manager.agentUrl}/agent/v1/wake?timeoutSeconds=1`, {
      key: impostor.keyPem,
      cert: impostor.certPem,
      ca: t.manager.caCertPem,
    });
    assert.equal(answer.status, 401, answer.text);
    assert.match(answer.json.detail, /not issued by this manager/);
  });

  test('a deactivated computer’s certificate is refused', async () => {
    const agent = await activated();
    const heartbeat = {
      appliedConfigurationVersion: null,
      modules: [],
      spool: { pendingEvents: 0, droppedEvents: 0 },
      agentVersion: '0.1.0',
    };
    const tls = { key: agent.keyPem, cert: agent.certPem, ca: t.manager.caCertPem };
    const ok = await call(`${t.manager.agentUrl}/agent/v1/heartbeat`, { body: heartbeat, ...tls });
    assert.equal(ok.status, 200, ok.text);
    const removed = await call(`${t.manager.consoleUrl}/api/computers/${agent.computerId}`, {
      method: 'DELETE',
      headers: bearer(t.keys.administrator),
      ca: t.manager.caCertPem,
    });
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.json.status, 'deactivated');
    const refused = await call(`${t.manager.agentUrl}/agent/v1/heartbeat`, { body: heartbeat, ...tls });
    assert.equal(refused.status, 403, refused.text);
    // A type of its own, so the agent can tell "stop for good" from any other refusal.
    assert.equal(refused.json.type, 'urn:bulwark:problem:computer-deactivated');
  });

  test('the agent can deactivate itself; its certificate stops working', async () => {
    const agent = await activated();
    const tls = { key: agent.keyPem, cert: agent.certPem, ca: t.manager.caCertPem };
    const answer = await call(`${t.manager.agentUrl}/agent/v1/deactivate`, { method: 'POST', ...tls });
    assert.equal(answer.status, 200, answer.text);
    const after = await call(`${t.manager.agentUrl}/agent/v1/wake?timeoutSeconds=1`, tls);
    assert.equal(after.status, 403);
  });
});
