import { X509Certificate } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { TLSSocket } from 'node:tls';
import {
  certificateFingerprint,
  fetchPinnedCa,
  httpsJson,
  issuedBy,
  normalizeFingerprint,
  tlsOptions,
} from '@bulwark/https-client';
import { ActivationResponse, AgentRoutes, describeIssues, parseActivationToken, parseWith } from '@bulwark/protocol';
import { AGENT_REQUEST_HEADERS, AGENT_VERSION, hostPlatform } from '../agent-version.js';
import { clearDeactivationRecord } from './deactivation-record.js';
import { type AgentIdentity, readIdentity, resolveDataDir, writeIdentity } from './identity-store.js';
import { createKeyMaterial } from './key-pair.js';

/** How the agent comes to trust the manager's CA at activation: the fingerprint in the token, or a flag. */
export type TrustChoice =
  | { readonly kind: 'token'; readonly sha256: string }
  | { readonly kind: 'ca-file'; readonly caPem: string }
  | { readonly kind: 'fingerprint'; readonly sha256: string };

export interface ActivateOptions {
  readonly managerUrl: string;
  /** Other nodes of the manager's cluster: activation tries them when the first is unreachable, and the agent keeps them to fail over to. */
  readonly alternateManagerUrls?: readonly string[];
  readonly token: string;
  /** PEM text of the manager's CA (from --ca FILE). */
  readonly caPem?: string;
  /** SHA-256 fingerprint of the manager's CA (from --ca-fingerprint). */
  readonly caFingerprint?: string;
  readonly dataDir?: string;
  readonly hostname?: string;
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
 * The manager's certificate is verified before the token leaves the host, against the CA the token
 * names by fingerprint (or one given with --ca / --ca-fingerprint, which must agree with it);
 * with no CA to check against, activation is refused. From then on only that CA is trusted.
 */
export async function activateAgent(options: ActivateOptions): Promise<ActivateResult> {
  const dataDir = resolveDataDir(options.dataDir);
  const urls: URL[] = [];
  for (const given of [options.managerUrl, ...(options.alternateManagerUrls ?? [])]) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      return {
        ok: false,
        code: 'usage',
        message: `--manager must be a URL such as https://manager.example:4120, not ${given}`,
      };
    }
    if (url.protocol !== 'https:')
      return { ok: false, code: 'usage', message: '--manager must be an https:// URL (the agent port, default 4120)' };
    if (!urls.some((u) => u.origin === url.origin)) urls.push(url);
  }
  const existing = readIdentity(dataDir);
  if (existing.kind === 'activated') {
    return {
      ok: false,
      code: 'already-activated',
      message: `already activated as computer ${existing.identity.computerId} with ${existing.identity.managerUrl}; run "bulwark-agent deactivate" first`,
    };
  }

  const { credential, caSha256: tokenSha256 } = parseActivationToken(options.token);
  const host = options.hostname ?? osHostname();
  const keys = await createKeyMaterial(host);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let attempt: Awaited<ReturnType<typeof requestActivation>> | undefined;
  for (const candidate of urls) {
    attempt = await requestActivation(options, candidate, tokenSha256, {
      token: credential,
      csr: keys.csrPem,
      hostname: host,
      timeoutMs,
    });
    // Only an unreachable node sends us on to the next: a refusal is the cluster's answer.
    if (attempt.ok || attempt.code !== 'unreachable') break;
  }
  if (attempt === undefined || !attempt.ok) return attempt ?? { ok: false, code: 'usage', message: 'no manager URL' };
  const { url, trust, result } = attempt;
  const answer = parseWith(ActivationResponse, result.body);
  if (!answer.ok)
    return { ok: false, code: 'invalid-answer', message: `activation answer: ${describeIssues(answer.issues)}` };
  const { computerId, certificate, caCertificate, heartbeatIntervalSeconds } = answer.value;
  // The CA kept is the one pinned, not whatever the answer names.
  const caPem = trust.caPem;
  if (!sameCertificate(caCertificate, caPem))
    return {
      ok: false,
      code: 'invalid-answer',
      message: 'the manager returned another CA than the pinned one: not trusting it',
    };
  const keyProblem = checkIssuedCertificate(certificate, keys.publicKeySpki, caCertificate);
  if (keyProblem) return { ok: false, code: 'invalid-answer', message: keyProblem };

  const alternates = urls.filter((u) => u.origin !== url.origin).map((u) => u.origin);
  const identity: AgentIdentity = {
    computerId,
    managerUrl: url.origin,
    ...(alternates.length > 0 ? { alternateManagerUrls: alternates } : {}),
    activatedAt: new Date().toISOString(),
    heartbeatIntervalSeconds,
    keyPem: keys.privateKeyPem,
    certificatePem: certificate,
    caPem,
  };
  writeIdentity(dataDir, identity);
  clearDeactivationRecord(dataDir);
  return {
    ok: true,
    computerId,
    managerUrl: url.origin,
    dataDir,
    caTrust: trust.kind,
    caFingerprint: certificateFingerprint(caPem).toLowerCase(),
  };
}

/** One activation request to one manager node, after checking which CA to trust for it. */
async function requestActivation(
  options: ActivateOptions,
  url: URL,
  tokenSha256: string | null,
  request: { readonly token: string; readonly csr: string; readonly hostname: string; readonly timeoutMs: number },
): Promise<
  | {
      readonly ok: true;
      readonly url: URL;
      readonly trust: { kind: TrustChoice['kind']; caPem: string };
      readonly result: { readonly body: unknown };
    }
  | { readonly ok: false; readonly code: 'usage' | 'unreachable' | 'refused'; readonly message: string }
> {
  const trust = await chooseTrust(options, url, tokenSha256);
  if (!trust.ok) return trust;
  const result = await httpsJson({
    url: new URL(AgentRoutes.activate.path, url),
    method: 'POST',
    timeoutMs: request.timeoutMs,
    body: {
      token: request.token,
      csr: request.csr,
      hostname: request.hostname,
      agentVersion: AGENT_VERSION,
      platform: hostPlatform(),
    },
    // Node verifies the chain and the name against the pinned CA alone before the body is sent.
    headers: AGENT_REQUEST_HEADERS,
    tls: tlsOptions({ caPem: trust.caPem }),
    checkPeer: (socket: TLSSocket) => (socket.authorized ? null : 'the manager is not verified by the pinned CA'),
  });
  if (!result.ok) {
    if (result.kind === 'http' && result.status === 404) {
      return {
        ok: false,
        code: 'refused',
        message: `${url.origin} has no activation endpoint (404): it is not the manager's agent port. If it is the console port (default 4119), use the agent port (default 4120), e.g. --manager https://${url.hostname}:4120`,
      };
    }
    const code = result.kind === 'http' ? 'refused' : 'unreachable';
    return { ok: false, code, message: `activation failed (${url.origin}): ${result.message}` };
  }
  return { ok: true, url, trust, result };
}

async function chooseTrust(
  options: ActivateOptions,
  url: URL,
  tokenSha256: string | null,
): Promise<
  { ok: true; kind: TrustChoice['kind']; caPem: string } | { ok: false; code: 'usage' | 'unreachable'; message: string }
> {
  if (options.caPem !== undefined && options.caFingerprint !== undefined) {
    return { ok: false, code: 'usage', message: 'give --ca or --ca-fingerprint, not both' };
  }
  const disagrees = (what: string, sha256: string) =>
    tokenSha256 !== null && sha256 !== tokenSha256
      ? {
          ok: false as const,
          code: 'usage' as const,
          message: `${what} (SHA-256 ${sha256}) is not the CA the token names (${tokenSha256}); check which manager the token is from`,
        }
      : null;
  if (options.caPem !== undefined) {
    let sha256: string;
    try {
      sha256 = certificateFingerprint(options.caPem);
    } catch (error) {
      return { ok: false, code: 'usage', message: `--ca is not a PEM certificate: ${(error as Error).message}` };
    }
    return disagrees('the --ca certificate', sha256) ?? { ok: true, kind: 'ca-file', caPem: options.caPem };
  }
  let sha256 = tokenSha256;
  if (options.caFingerprint !== undefined) {
    sha256 = normalizeFingerprint(options.caFingerprint);
    if (!sha256)
      return {
        ok: false,
        code: 'usage',
        message: '--ca-fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed',
      };
    const mismatch = disagrees('--ca-fingerprint', sha256);
    if (mismatch) return mismatch;
  }
  if (sha256 === null) {
    return {
      ok: false,
      code: 'usage',
      message:
        'the token carries no CA fingerprint (it was made by an older manager), so the manager cannot be verified: add --ca-fingerprint SHA256 (the manager prints it at start) or --ca FILE (its pki/ca.crt)',
    };
  }
  const pinned = await fetchPinnedCa(url, sha256, options.timeoutMs);
  if (!pinned.ok) return { ok: false, code: 'unreachable', message: pinned.message };
  return { ok: true, kind: options.caFingerprint === undefined ? 'token' : 'fingerprint', caPem: pinned.caPem };
}

function sameCertificate(a: string, b: string): boolean {
  try {
    return certificateFingerprint(a) === certificateFingerprint(b);
  } catch {
    return false;
  }
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
