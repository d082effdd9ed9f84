import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import {
  type CryptoKey,
  generateKeyPair,
  privateKeyToPem,
  randomSerialNumber,
  SIGNING_ALGORITHM,
  x509,
} from './x509-setup.js';

const SERVER_VALIDITY_DAYS = 825;
const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ServerCertificate {
  readonly keyPem: string;
  readonly certPem: string;
}

/** The TLS certificate both listeners present, signed by the manager CA and valid for `names`. */
export async function issueServerCertificate(
  caCert: x509.X509Certificate,
  caKey: CryptoKey,
  names: readonly string[],
): Promise<ServerCertificate> {
  const keys = await generateKeyPair();
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + SERVER_VALIDITY_DAYS * DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: `CN=${names.find((n) => isIP(n) === 0 && n !== 'localhost') ?? 'localhost'}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: isIP(value) === 0 ? ('dns' as const) : ('ip' as const), value })),
        false,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return { keyPem: await privateKeyToPem(keys.privateKey), certPem: cert.toString('pem') };
}

/** True when the stored certificate is not from this CA, expires soon, or misses a wanted name. */
export function serverCertificateNeedsRenewal(
  server: ServerCertificate,
  caCertPem: string,
  names: readonly string[],
  now: Date,
): boolean {
  let cert: NodeX509Certificate;
  try {
    cert = new NodeX509Certificate(server.certPem);
  } catch {
    return true;
  }
  const ca = new NodeX509Certificate(caCertPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return true;
  if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return true;
  const covered = new Set(
    (cert.subjectAltName ?? '')
      .split(', ')
      .map((entry) => entry.replace(/^(DNS|IP Address):/, '').toLowerCase())
      .map(normaliseAddress),
  );
  return names.some((name) => !covered.has(normaliseAddress(name)));
}

// Node prints IPv6 SANs expanded (0:0:0:0:0:0:0:1); compare addresses in one canonical form.
function normaliseAddress(name: string): string {
  if (isIP(name) !== 6) return name;
  try {
    return new URL(`http://[${name}]/`).hostname;
  } catch {
    return name;
  }
}
