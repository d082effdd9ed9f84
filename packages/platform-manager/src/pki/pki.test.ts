import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { loadOrCreatePki, type ManagerPki } from './certificate-authority.js';
import { type CryptoKeyPair, EC_ALGORITHM, SIGNING_ALGORITHM, subtle, x509 } from './x509-setup.js';

async function makeCsr(cn = 'agent-request'): Promise<string> {
  const keys = (await subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${cn}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return csr.toString('pem');
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('manager PKI', () => {
  let dir: string;
  let pki: ManagerPki;
  const computerId = '6f1c1b4e-8a4e-4b8e-9d0c-0f4f7f0c2a11';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-pki-'));
    pki = await loadOrCreatePki(join(dir, 'pki'), { serverNames: ['manager.example.test', '10.1.2.3'] });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('keeps private keys at mode 0600 and the CA is a CA', async () => {
    for (const name of ['ca.key', 'server.key']) {
      const mode = (await stat(join(dir, 'pki', name))).mode & 0o777;
      assert.equal(mode, 0o600, `${name} mode`);
    }
    const ca = new X509Certificate(pki.caCertPem);
    assert.equal(ca.ca, true);
    assert.match(pki.caFingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test('server certificate is signed by the CA and names loopback, hostname and --server-name values', () => {
    const server = new X509Certificate(pki.serverCertPem);
    const ca = new X509Certificate(pki.caCertPem);
    assert.ok(server.verify(ca.publicKey));
    assert.ok(server.checkHost('localhost'));
    assert.ok(server.checkHost('manager.example.test'));
    assert.ok(server.checkIP('127.0.0.1'));
    assert.ok(server.checkIP('::1'));
    assert.ok(server.checkIP('10.1.2.3'));
    assert.equal(server.checkHost('other.example.test'), undefined);
  });

  test('a second start reuses the CA; a new server name renews only the server certificate', async () => {
    const again = await loadOrCreatePki(join(dir, 'pki'), { serverNames: ['manager.example.test', '10.1.2.3'] });
    assert.equal(again.caFingerprint, pki.caFingerprint);
    assert.equal(again.serverCertPem, pki.serverCertPem);
    const renamed = await loadOrCreatePki(join(dir, 'pki'), { serverNames: ['console.example.test'] });
    assert.equal(renamed.caFingerprint, pki.caFingerprint);
    assert.notEqual(renamed.serverCertPem, pki.serverCertPem);
    assert.ok(new X509Certificate(renamed.serverCertPem).checkHost('console.example.test'));
  });

  test('signs a CSR into a client certificate bound to the computer id', async () => {
    const result = await pki.signAgentCsr(await makeCsr('whatever-the-agent-asked'), computerId);
    assert.ok(result.ok, result.ok ? '' : result.reason);
    const cert = new X509Certificate(result.value.certificatePem);
    assert.ok(cert.verify(new X509Certificate(pki.caCertPem).publicKey));
    assert.equal(cert.subject, `CN=${computerId}`);
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(cert.serialNumber.toLowerCase().replace(/^0+/, ''), result.value.serialNumber.replace(/^0+/, ''));
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    assert.ok(days > 700 && days < 740, `validity ${days} days`);
  });

  test('two certificates never share a serial number', async () => {
    const csr = await makeCsr();
    const a = await pki.signAgentCsr(csr, computerId);
    const b = await pki.signAgentCsr(csr, computerId);
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.value.serialNumber, b.value.serialNumber);
  });

  test('signs a CSR made by openssl', async (t) => {
    if (!hasOpenssl()) return t.skip('needs the openssl command');
    const keyPath = join(dir, 'openssl.key');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath]);
    const csr = execFileSync('openssl', ['req', '-new', '-key', keyPath, '-subj', '/CN=host'], { encoding: 'utf8' });
    const result = await pki.signAgentCsr(csr, computerId);
    assert.ok(result.ok, result.ok ? '' : result.reason);
  });

  test('refuses a CSR whose signature was tampered with', async () => {
    const pem = await makeCsr();
    const der = Buffer.from(x509.PemConverter.decodeFirst(pem));
    der[der.length - 3] = der[der.length - 3]! ^ 0xff;
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    const result = await pki.signAgentCsr(tampered, computerId);
    assert.equal(result.ok, false);
  });

  test('refuses a CSR with an unsupported key (P-521) with a clear reason', async () => {
    const keys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=x',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-512' },
    });
    const result = await pki.signAgentCsr(csr.toString('pem'), computerId);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /P-521/);
  });

  test('garbage never throws and is always refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc
            .uint8Array({ maxLength: 300 })
            .map((bytes) => x509.PemConverter.encode(Buffer.from(bytes), 'CERTIFICATE REQUEST')),
        ),
        async (input) => {
          const result = await pki.signAgentCsr(input, computerId);
          assert.equal(result.ok, false);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a corrupted server certificate on disk is replaced, the CA kept', async () => {
    await writeFile(join(dir, 'pki', 'server.crt'), 'not a certificate');
    const again = await loadOrCreatePki(join(dir, 'pki'));
    assert.equal(again.caFingerprint, pki.caFingerprint);
    assert.ok(new X509Certificate(await readFile(join(dir, 'pki', 'server.crt'), 'utf8')).checkHost('localhost'));
  });
});
