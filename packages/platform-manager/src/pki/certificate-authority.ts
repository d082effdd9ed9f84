import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@bulwark/host-files';
import {
  type AgentCertificate,
  type AgentCertificateResult,
  inspectAgentCsr,
  signAgentCsr,
} from './agent-certificate.js';
import type { CaMaterial, ClusterCaResult } from './cluster-ca.js';
import { issueServerCertificate, type ServerCertificate, serverCertificateNeedsRenewal } from './server-certificate.js';
import { loadOrCreateUpdateSigner, type ManagerUpdateSigner } from './update-signer.js';
import {
  generateKeyPair,
  privateKeyFromPem,
  privateKeyToPem,
  randomSerialNumber,
  SIGNING_ALGORITHM,
  x509,
} from './x509-setup.js';

const CA_VALIDITY_YEARS = 20;

/**
 * The manager's own PKI, kept in `<dataDir>/pki/`: a CA (key mode 0600) that signs the TLS server
 * certificate of both listeners and every agent's client certificate. Agents and the admin CLI
 * pin the CA by its SHA-256 fingerprint.
 */
export interface ManagerPki {
  readonly caCertPem: string;
  /** SHA-256 of the CA certificate's DER, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`). */
  readonly caFingerprint: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  /** DNS names and IP addresses the server certificate covers. */
  readonly serverNames: readonly string[];
  /** Checks a CSR (decodable, supported key, valid self-signature) without signing it. */
  checkAgentCsr(csrPem: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>;
  signAgentCsr(csrPem: string, computerId: string): Promise<AgentCertificateResult>;
  /** Signs update packages (update-signer.ts). */
  readonly updateSigner: ManagerUpdateSigner;
}

export interface PkiOptions {
  /** Extra names (DNS or IP) for the server certificate, e.g. from `--server-name`. */
  readonly serverNames?: readonly string[];
  /** Lifetime of agent certificates (default 730 days); tests shorten it to watch renewals. */
  readonly agentCertificateValidityMs?: number;
  /**
   * Decides which CA this node uses, given the one in `dir` (null when there is none): the
   * cluster's (pki/cluster-ca.ts). A refusal stops the start with its reason. Absent: the CA in
   * `dir`, created the first time.
   */
  readonly resolveCa?: (local: CaMaterial | null) => Promise<ClusterCaResult>;
}

/** The manager could not settle on a CA; the message says what to do. */
export class PkiRefusedError extends Error {
  override readonly name = 'PkiRefusedError';
}

const FILES = {
  caKey: 'ca.key',
  caCert: 'ca.crt',
  serverKey: 'server.key',
  serverCert: 'server.crt',
} as const;

/** Loads the PKI from `dir`, creating the CA and server certificate the first time. */
export async function loadOrCreatePki(dir: string, options: PkiOptions = {}): Promise<ManagerPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = serverNamesFor(options.serverNames ?? []);

  const localKeyPem = await readOptional(join(dir, FILES.caKey));
  const localCertPem = await readOptional(join(dir, FILES.caCert));
  const local = localKeyPem === null || localCertPem === null ? null : { keyPem: localKeyPem, certPem: localCertPem };
  let chosen: CaMaterial;
  if (options.resolveCa === undefined) {
    chosen = local ?? (await createCertificateAuthority());
  } else {
    const resolved = await options.resolveCa(local);
    if (!resolved.ok) throw new PkiRefusedError(resolved.reason);
    chosen = resolved.ca;
  }
  if (local === null || local.certPem !== chosen.certPem) {
    // Key first: a crash between the two writes leaves a CA that is re-created, never a cert without key.
    writeFileAtomic(join(dir, FILES.caKey), chosen.keyPem, 0o600);
    writeFileAtomic(join(dir, FILES.caCert), chosen.certPem, 0o644);
  }
  const caKeyPem = chosen.keyPem;
  const caCertPem = chosen.certPem;
  const caKey = await privateKeyFromPem(caKeyPem);
  const caCert = new x509.X509Certificate(caCertPem);

  let server: ServerCertificate | null = null;
  const serverKeyPem = await readOptional(join(dir, FILES.serverKey));
  const serverCertPem = await readOptional(join(dir, FILES.serverCert));
  if (serverKeyPem !== null && serverCertPem !== null) {
    server = { keyPem: serverKeyPem, certPem: serverCertPem };
    if (serverCertificateNeedsRenewal(server, caCertPem, names, new Date())) server = null;
  }
  if (server === null) {
    server = await issueServerCertificate(caCert, caKey, names);
    writeFileAtomic(join(dir, FILES.serverKey), server.keyPem, 0o600);
    writeFileAtomic(join(dir, FILES.serverCert), server.certPem, 0o644);
  }

  const updateSigner = await loadOrCreateUpdateSigner(dir, caKey);
  const fixedCaPem = caCertPem;
  return {
    caCertPem: fixedCaPem,
    caFingerprint: certificateFingerprint(fixedCaPem),
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    serverNames: names,
    updateSigner,
    checkAgentCsr: async (csrPem) => {
      const inspected = await inspectAgentCsr(csrPem);
      return inspected.ok ? { ok: true } : inspected;
    },
    signAgentCsr: (csrPem, computerId) =>
      signAgentCsr(
        {
          caCert,
          caKey,
          ...(options.agentCertificateValidityMs === undefined
            ? {}
            : { agentValidityMs: options.agentCertificateValidityMs }),
        },
        csrPem,
        computerId,
      ),
  };
}

export type { AgentCertificate, AgentCertificateResult };

export function certificateFingerprint(pem: string): string {
  return new NodeX509Certificate(pem).fingerprint256;
}

/** A new self-signed CA for this manager (or cluster). */
export async function createCertificateAuthority(): Promise<CaMaterial> {
  const keys = await generateKeyPair();
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=Bulwark Manager CA ${hostname().slice(0, 32)} ${randomSerialNumber().slice(0, 8)}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: await privateKeyToPem(keys.privateKey), certPem: cert.toString('pem') };
}

/** localhost, loopback addresses, this host's name and any configured names; deduplicated, in order. */
export function serverNamesFor(extra: readonly string[]): string[] {
  const all = ['localhost', '127.0.0.1', '::1', hostname(), ...extra].map((n) => n.trim().toLowerCase());
  return [...new Set(all.filter((n) => n.length > 0))];
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
