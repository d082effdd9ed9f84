import { type CryptoKey, randomSerialNumber, SIGNING_ALGORITHM, x509 } from './x509-setup.js';

const DAY_MS = 86_400_000;
/** Agents renew over their channel once two thirds of it have passed (platform-agent). */
export const AGENT_CERTIFICATE_VALIDITY_MS = 730 * DAY_MS;
const MAX_CSR_CHARS = 16_384;

export interface AgentCertificate {
  readonly certificatePem: string;
  /** Lower-case hex, as stored with the computer; a deactivated computer's serial is refused. */
  readonly serialNumber: string;
  readonly notAfter: Date;
}

export type AgentCertificateResult =
  | { readonly ok: true; readonly value: AgentCertificate }
  | { readonly ok: false; readonly reason: string };

export interface SigningAuthority {
  readonly caCert: x509.X509Certificate;
  readonly caKey: CryptoKey;
  /** Default AGENT_CERTIFICATE_VALIDITY_MS; tests shorten it. */
  readonly agentValidityMs?: number;
}

/**
 * Signs an agent's PKCS#10 request after checking its self-signature (proof that the agent holds
 * the private key). The subject the agent asked for is ignored: the certificate names the
 * computer by id (CN) and is good for TLS client authentication only.
 */
export async function signAgentCsr(
  authority: SigningAuthority,
  csrPem: string,
  computerId: string,
): Promise<AgentCertificateResult> {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(computerId)) return refuse('the computer id is not a plain identifier');
  const inspected = await inspectAgentCsr(csrPem);
  if (!inspected.ok) return inspected;
  const csr = inspected.value;
  const serialNumber = randomSerialNumber();
  const validityMs = authority.agentValidityMs ?? AGENT_CERTIFICATE_VALIDITY_MS;
  const now = Date.now();
  // Back-dated for clock skew, by at most a tenth of the lifetime so a short one is not mostly spent.
  const notBefore = new Date(now - Math.min(5 * 60_000, Math.floor(validityMs / 10)));
  const notAfter = new Date(now + validityMs);
  try {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: `CN=${computerId}`,
      issuer: authority.caCert.subject,
      notBefore,
      notAfter,
      publicKey: csr.publicKey,
      signingKey: authority.caKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
        await x509.AuthorityKeyIdentifierExtension.create(authority.caCert, false),
      ],
    });
    return { ok: true, value: { certificatePem: cert.toString('pem'), serialNumber, notAfter } };
  } catch (error) {
    return refuse(`the CSR's public key cannot be certified (${(error as Error).message})`);
  }
}

export type InspectedCsr =
  | { readonly ok: true; readonly value: x509.Pkcs10CertificateRequest }
  | { readonly ok: false; readonly reason: string };

/** Decodes a PEM CSR and checks its key type and self-signature; never throws. */
export async function inspectAgentCsr(csrPem: string): Promise<InspectedCsr> {
  if (csrPem.length > MAX_CSR_CHARS) return refuse(`the CSR is longer than ${MAX_CSR_CHARS} characters`);
  if (!csrPem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
    return refuse('the CSR is not a PEM "CERTIFICATE REQUEST" block');
  }
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (error) {
    return refuse(`the CSR cannot be decoded (${(error as Error).message})`);
  }
  let keyProblem: string | null;
  try {
    keyProblem = unsupportedKey(csr);
  } catch (error) {
    return refuse(`the CSR's public key cannot be read (${(error as Error).message})`);
  }
  if (keyProblem !== null) return refuse(keyProblem);
  let signatureValid = false;
  try {
    signatureValid = await csr.verify();
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) return refuse('the CSR signature does not match its public key');
  return { ok: true, value: csr };
}

function unsupportedKey(csr: x509.Pkcs10CertificateRequest): string | null {
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string; modulusLength?: number };
  if (algorithm.name === 'ECDSA') {
    return algorithm.namedCurve === 'P-256' || algorithm.namedCurve === 'P-384'
      ? null
      : `the CSR's EC curve ${algorithm.namedCurve ?? '(unknown)'} is not supported (use P-256 or P-384)`;
  }
  if (algorithm.name === 'RSASSA-PKCS1-v1_5' || algorithm.name === 'RSA-PSS') {
    return (algorithm.modulusLength ?? 0) >= 2048 ? null : 'the CSR has an RSA key shorter than 2048 bits';
  }
  return `the CSR's key type ${algorithm.name ?? '(unknown)'} is not supported (use ECDSA P-256)`;
}

function refuse(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}
