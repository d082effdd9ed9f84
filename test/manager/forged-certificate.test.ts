import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { startManager } from '@bulwark/platform-manager';
import * as x509 from '@peculiar/x509';
import { waitFor } from './fake-agent-flow.js';
import { activateFakeAgent, call } from './manager-harness.js';

/** A client certificate for `computerId` from a CA made to look like the manager's (same subject). */
async function forgedCertificate(caCertPem: string, computerId: string): Promise<{ key: string; cert: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const realCa = new x509.X509Certificate(caCertPem);
  const caKeys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: realCa.subject,
    keys: caKeys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${computerId}`,
    issuer: ca.subject,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), cert: cert.toString('pem') };
}

/** Item 13c of issue 10: a certificate from a forged CA was refused without a log line. */
test('a client certificate from a forged CA with the real CA subject is refused (401) and logged; so is a failed handshake', async () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-forged-'));
  const manager = await startManager({
    dataDir,
    consolePort: 0,
    agentPort: 0,
    listenAddress: '127.0.0.1',
    logger: { level: 'warn', stream },
  });
  try {
    const agent = await activateFakeAgent(manager);
    const forged = await forgedCertificate(manager.caCertPem, agent.computerId);
    const answer = await call(`${manager.agentUrl}/agent/v1/heartbeat`, {
      body: {
        appliedConfigurationVersion: null,
        modules: [],
        agentVersion: '1',
        spool: { pendingEvents: 0, droppedEvents: 0 },
      },
      key: forged.key,
      cert: forged.cert,
      ca: manager.caCertPem,
    });
    assert.equal(answer.status, 401, answer.text);
    await waitFor(() => lines.some((l) => String(l.msg).startsWith('agent request refused')), 'the log line', 5_000);
    const line = lines.find((l) => String(l.msg).startsWith('agent request refused'))!;
    assert.match(String(line.msg), /not issued by this manager/);
    assert.equal(line.certificateSubject, agent.computerId);
    assert.equal(line.address, '127.0.0.1');
    assert.ok(line.certificateFingerprint256, 'the forged certificate can be identified');

    // Plain HTTP on the TLS port: the handshake fails before any request, and that is logged too.
    const { port } = new URL(manager.agentUrl);
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
    socket.on('error', () => {});
    socket.end('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitFor(() => lines.some((l) => l.msg === 'TLS handshake failed'), 'the handshake failure line', 5_000);
    socket.destroy();
  } finally {
    await manager.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
