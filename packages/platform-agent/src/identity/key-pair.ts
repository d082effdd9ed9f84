import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

/**
 * @peculiar/x509 (with asn1js, tsyringe and the polyfill it needs first) is most of the agent's
 * own code and only activation and certificate renewal use it: imported then, not at start.
 */
async function x509Library(): Promise<typeof X509> {
  return (await import('./x509-library.js')).x509;
}

type KeyPair = Parameters<typeof X509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface AgentKeyMaterial {
  /** PKCS#8, PEM: stays in the data dir with mode 0600, never leaves the host. */
  readonly privateKeyPem: string;
  /** PKCS#10 certificate signing request, PEM, sent at activation. */
  readonly csrPem: string;
  /** SubjectPublicKeyInfo (DER, base64) of the key: the issued certificate must carry it. */
  readonly publicKeySpki: string;
}

/** A fresh ECDSA P-256 key pair and a CSR for it; the manager's CA decides the subject it signs. */
export async function createKeyMaterial(hostname: string): Promise<AgentKeyMaterial> {
  const x509 = await x509Library();
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as KeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [hostname.slice(0, 64)] }],
    keys,
    signingAlgorithm: ALGORITHM,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey as unknown as webcrypto.CryptoKey);
  return {
    privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    csrPem: csr.toString('pem'),
    publicKeySpki: Buffer.from(spki).toString('base64'),
  };
}
