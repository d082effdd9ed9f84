// Biome sorts imports; the polyfill must still load before @peculiar/x509 (it resolves algorithms through tsyringe).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** What a simulated agent keeps after activation: the same as a real agent's identity. */
export interface AgentIdentity {
  readonly computerId: string;
  readonly hostname: string;
  readonly keyPem: string;
  readonly certPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A fresh key pair and the CSR that asks the manager's CA to sign it. */
export async function newKeyAndCsr(hostname: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${hostname}`,
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const body = pkcs8
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return { keyPem: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`, csrPem: csr.toString('pem') };
}
