import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { ActivationResponse, AgentRoutes, describeIssues, parseWith } from '@bulwark/protocol';
import { AGENT_VERSION, hostPlatform } from '../agent-version.js';
import { httpsJson } from '../channel/https-json.js';
import { type AgentIdentity, readIdentity, resolveDataDir, writeIdentity } from './identity-store.js';
import { createKeyMaterial } from './key-pair.js';
import { derToPem, fetchPinnedCa, issuedBy, normaliseFingerprint, type TrustChoice } from './manager-trust.js';

export interface ActivateOptions {
  readonly managerUrl: string;
  readonly token: string;
  /** PEM text of the manager's CA (from --ca FILE). */
  readonly caPem?: string;
  /** SHA-256 fingerprint of the manager's CA (from --ca-fingerprint). */
  readonly caFingerprint?: string;
  readonly dataDir?: string;
  readonly hostname?: string;
  /** Told when the CA is trusted on first use: the caller must show it to the operator. */
  readonly warn?: (message: string) => void;
  readonly timeoutMs?: number;
}

export type ActivateResult =
  | {
      readonly ok: true;
      readonly computerId: string;
      readonly managerUrl: string;
      readonly dataDir: string;
      readonly caTrust: TrustChoice['kind'];
      /** SHA-256 of the CA now trusted, lower-case hex. */
      readonly caFingerprint: string;
    }
  | {
      readonly ok: false;
      readonly code: 'usage' | 'already-activated' | 'unreachable' | 'refused' | 'invalid-answer';
      readonly message: string;
    };

/**
 * Activation: a fresh key pair and CSR, the token, the manager's CA signs a client certificate.
 * The manager's certificate is verified against its CA given on the command line, pinned by
 * fingerprint, or (with a warning) trusted on first use; from then on only that CA is trusted.
 */
export async function activateAgent(options: ActivateOptions): Promise<ActivateResult> {
  const dataDir = resolveDataDir(options.dataDir);
  let url: URL;
  try {
    url = new URL(options.managerUrl);
  } catch {
    return {
      ok: false,
      code: 'usage',
      message: `--manager must be a URL such as https://manager.example:4120, not ${options.managerUrl}`,
    };
  }
  if (url.protocol !== 'https:')
    return { ok: false, code: 'usage', message: '--manager must be an https:// URL (the agent port, default 4120)' };
  const existing = readIdentity(dataDir);
  if (existing.kind === 'activated') {
    return {
      ok: false,
      code: 'already-activated',
      message: `already activated as computer ${existing.identity.computerId} with ${existing.identity.managerUrl}; run "bulwark-agent deactivate" first`,
    };
  }

  const trust = await chooseTrust(options, url);
  if (!trust.ok) return trust;
  if (!trust.caPem) {
    options.warn?.(
      `neither --ca nor --ca-fingerprint given: the manager at ${url.host} is not verified for this activation, and the CA it returns will be trusted from now on`,
    );
  }
  const host = options.hostname ?? osHostname();
  const keys = await createKeyMaterial(host);
  let presentedLeaf: string | null = null;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const result = await httpsJson({
    url: new URL(AgentRoutes.activate.path, url),
    method: 'POST',
    timeoutMs,
    body: {
      token: options.token,
      csr: keys.csrPem,
      hostname: host,
      agentVersion: AGENT_VERSION,
      platform: hostPlatform(),
    },
    tls: trust.caPem ? { ca: trust.caPem, rejectUnauthorized: true } : { rejectUnauthorized: false },
    checkPeer: (socket: TLSSocket) => {
      const peer = socket.getPeerCertificate();
      if (!peer?.raw) return 'the manager presented no certificate';
      presentedLeaf = derToPem(peer.raw);
      return null;
    },
  });
  if (!result.ok) {
    const code = result.kind === 'http' ? 'refused' : 'unreachable';
    return { ok: false, code, message: `activation failed: ${result.message}` };
  }
  const answer = parseWith(ActivationResponse, result.body);
  if (!answer.ok)
    return { ok: false, code: 'invalid-answer', message: `activation answer: ${describeIssues(answer.issues)}` };
  const { computerId, certificate, caCertificate, heartbeatIntervalSeconds } = answer.value;

  const caPem = trust.caPem ?? caCertificate;
  if (!trust.caPem) {
    if (!presentedLeaf || !issuedBy(presentedLeaf, caCertificate)) {
      return {
        ok: false,
        code: 'invalid-answer',
        message: 'the CA the manager returned did not sign the certificate it presented: not trusting it',
      };
    }
    options.warn?.(
      `trusted the manager's CA on first use: SHA-256 ${new X509Certificate(caCertificate).fingerprint256}; compare it with the fingerprint the manager prints at start, and deactivate if it differs`,
    );
  }
  const keyProblem = checkIssuedCertificate(certificate, keys.publicKeySpki, caCertificate);
  if (keyProblem) return { ok: false, code: 'invalid-answer', message: keyProblem };

  const identity: AgentIdentity = {
    computerId,
    managerUrl: url.origin,
    activatedAt: new Date().toISOString(),
    heartbeatIntervalSeconds,
    keyPem: keys.privateKeyPem,
    certificatePem: certificate,
    caPem,
  };
  writeIdentity(dataDir, identity);
  return {
    ok: true,
    computerId,
    managerUrl: url.origin,
    dataDir,
    caTrust: trust.kind,
    caFingerprint: new X509Certificate(caPem).fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}

async function chooseTrust(
  options: ActivateOptions,
  url: URL,
): Promise<
  | { ok: true; kind: TrustChoice['kind']; caPem?: string }
  | { ok: false; code: 'usage' | 'unreachable'; message: string }
> {
  if (options.caPem !== undefined && options.caFingerprint !== undefined) {
    return { ok: false, code: 'usage', message: 'give --ca or --ca-fingerprint, not both' };
  }
  if (options.caPem !== undefined) {
    try {
      new X509Certificate(options.caPem);
    } catch (error) {
      return { ok: false, code: 'usage', message: `--ca is not a PEM certificate: ${(error as Error).message}` };
    }
    return { ok: true, kind: 'ca-file', caPem: options.caPem };
  }
  if (options.caFingerprint !== undefined) {
    const sha256 = normaliseFingerprint(options.caFingerprint);
    if (!sha256)
      return {
        ok: false,
        code: 'usage',
        message: '--ca-fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed',
      };
    const pinned = await fetchPinnedCa(url, sha256, options.timeoutMs);
    if (!pinned.ok) return { ok: false, code: 'unreachable', message: pinned.message };
    return { ok: true, kind: 'fingerprint', caPem: pinned.caPem };
  }
  return { ok: true, kind: 'first-use' };
}

function checkIssuedCertificate(certificatePem: string, expectedSpki: string, caPem: string): string | null {
  try {
    const cert = new X509Certificate(certificatePem);
    const spki = cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    if (spki !== expectedSpki) return 'the certificate the manager issued is not for the key this agent made';
    if (!issuedBy(certificatePem, caPem)) return "the certificate the manager issued is not signed by the manager's CA";
    return null;
  } catch (error) {
    return `the certificate the manager issued cannot be read: ${(error as Error).message}`;
  }
}

export function readCaFile(path: string): { ok: true; pem: string } | { ok: false; message: string } {
  try {
    return { ok: true, pem: readFileSync(path, 'utf8') };
  } catch (error) {
    return { ok: false, message: `cannot read --ca ${path}: ${(error as Error).message}` };
  }
}
