import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import https from 'node:https';

/** What a client trusts and presents: the CA (none: the system's), and for mutual TLS its key and certificate. */
export interface TlsIdentity {
  /** PEM of the only CA trusted; absent, the system's CAs are. */
  readonly caPem?: string;
  readonly keyPem?: string;
  readonly certificatePem?: string;
}

/**
 * The TLS options every client of the manager uses: verification always on, TLS 1.2 at least,
 * the given CA alone when there is one. Passed to an https.Agent, or to one request.
 */
export function tlsOptions(identity: TlsIdentity): https.AgentOptions {
  return {
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(identity.caPem !== undefined ? { ca: identity.caPem } : {}),
    ...(identity.keyPem !== undefined ? { key: identity.keyPem } : {}),
    ...(identity.certificatePem !== undefined ? { cert: identity.certificatePem } : {}),
  };
}

/** A kept-alive connection pool with `tlsOptions(identity)`. */
export function tlsAgent(identity: TlsIdentity, pool: { readonly maxSockets?: number } = {}): https.Agent {
  return new https.Agent({ keepAlive: true, maxSockets: pool.maxSockets ?? 4, ...tlsOptions(identity) });
}

export type CertificateFileResult =
  | { readonly ok: true; readonly pem: string }
  | { readonly ok: false; readonly reason: 'unreadable' | 'not-a-certificate'; readonly message: string };

/** Reads the CA file given with --ca and checks that it holds a PEM certificate. */
export async function readCaFile(path: string): Promise<CertificateFileResult> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, reason: 'unreadable', message: `cannot read the CA file ${path} (${code})` };
  }
  try {
    new X509Certificate(pem);
  } catch (error) {
    return {
      ok: false,
      reason: 'not-a-certificate',
      message: `${path} is not a PEM certificate (${(error as Error).message})`,
    };
  }
  return { ok: true, pem };
}

/** True when `leafPem` names `caPem` as its issuer and carries its signature. */
export function issuedBy(leafPem: string, caPem: string): boolean {
  try {
    const leaf = new X509Certificate(leafPem);
    const ca = new X509Certificate(caPem);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}

export function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
