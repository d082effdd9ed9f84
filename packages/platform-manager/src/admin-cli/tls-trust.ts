import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { type CliResult, ExitCode, fail, ok, usageError } from './cli-error.js';

/** How the CLI decides to trust the manager's TLS certificate. Verification is never switched off. */
export type TrustSource =
  | { readonly kind: 'system' }
  | { readonly kind: 'ca-file'; readonly path: string }
  | { readonly kind: 'fingerprint'; readonly sha256: string };

export const HOW_TO_TRUST =
  "Trust the manager's CA with --ca <dataDir>/pki/ca.crt (copy it from the manager host) or pin it with\n" +
  '--ca-fingerprint <SHA-256>, the CA fingerprint the manager prints when it starts\n' +
  '(or: openssl x509 -in <dataDir>/pki/ca.crt -noout -fingerprint -sha256). BULWARK_CA may hold either.';

/** Accepts `AB:CD:…`, `abcd…` or with spaces; answers 64 lower-case hex digits. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/**
 * `BULWARK_CA` holds a file path or a fingerprint; a value that looks like a fingerprint is one,
 * anything else is a path.
 */
export function trustFromOptions(caFile: string | undefined, fingerprint: string | undefined): CliResult<TrustSource> {
  if (caFile !== undefined && fingerprint !== undefined) {
    return usageError('--ca and --ca-fingerprint are mutually exclusive: give one');
  }
  if (fingerprint !== undefined) {
    const sha256 = normalizeFingerprint(fingerprint);
    if (sha256 === null)
      return usageError('--ca-fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed');
    return ok({ kind: 'fingerprint', sha256 });
  }
  if (caFile !== undefined) {
    const sha256 = normalizeFingerprint(caFile);
    return ok(sha256 !== null ? { kind: 'fingerprint', sha256 } : { kind: 'ca-file', path: caFile });
  }
  return ok({ kind: 'system' });
}

/** An https.Agent that trusts exactly what `trust` says. */
export async function agentFor(trust: TrustSource): Promise<CliResult<https.Agent>> {
  const base = { keepAlive: true, maxSockets: 4 };
  if (trust.kind === 'system') return ok(new https.Agent(base));
  if (trust.kind === 'fingerprint') return ok(new PinnedAgent(trust.sha256, base));
  let pem: string;
  try {
    pem = await readFile(trust.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return usageError(`cannot read the CA file ${trust.path} (${code})`, HOW_TO_TRUST);
  }
  try {
    new X509Certificate(pem);
  } catch {
    return usageError(`${trust.path} is not a PEM certificate`, HOW_TO_TRUST);
  }
  return ok(new https.Agent({ ...base, ca: pem }));
}

/** Failures of the TLS layer explained in terms of what to do. */
export function tlsFailureToCliError(error: Error & { code?: string }, trust: TrustSource) {
  const untrusted = new Set([
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_GET_ISSUER_CERT',
    'CERT_SIGNATURE_FAILURE',
  ]);
  if (error instanceof PinMismatchError) return fail(ExitCode.failure, error.message, HOW_TO_TRUST);
  if (error.code !== undefined && untrusted.has(error.code)) {
    const which = trust.kind === 'ca-file' ? `the CA in ${trust.path}` : 'the system CAs';
    return fail(ExitCode.failure, `the manager's certificate is not signed by ${which} (${error.code})`, HOW_TO_TRUST);
  }
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return fail(
      ExitCode.failure,
      `the manager's certificate does not cover this host name: ${error.message}`,
      'Use a --manager URL with a name the certificate covers (localhost, 127.0.0.1, the manager host name), or start the manager with --server-name.',
    );
  }
  if (error.code === 'CERT_HAS_EXPIRED' || error.code === 'CERT_NOT_YET_VALID') {
    return fail(ExitCode.failure, `the manager's certificate is not valid now (${error.code})`);
  }
  return null;
}

export class PinMismatchError extends Error {}

/**
 * Trust anchored on one certificate fingerprint: the manager must present a chain that contains a
 * certificate with that SHA-256, whose signatures chain down to the server certificate, which must
 * cover the host name. The socket reaches the HTTP layer only after that check, so no request
 * (and no API key) is ever written to an unverified peer.
 */
class PinnedAgent extends https.Agent {
  readonly #sha256: string;

  constructor(sha256: string, options: https.AgentOptions) {
    super(options);
    this.#sha256 = sha256;
  }

  override createConnection(
    options: tls.ConnectionOptions & { host?: string },
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex {
    const host = options.host ?? 'localhost';
    const socket = tls.connect({ ...options, rejectUnauthorized: false });
    const done = callback ?? (() => {});
    const onError = (error: Error) => done(error, socket);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.removeListener('error', onError);
      const problem = checkPinnedChain(socket.getPeerCertificate(true), this.#sha256, host);
      if (problem !== null) {
        socket.destroy();
        done(new PinMismatchError(problem), socket);
        return;
      }
      done(null, socket);
    });
    // Node's http.Agent waits for the callback when createConnection returns nothing.
    return undefined as unknown as Duplex;
  }
}

/** Null when the presented chain satisfies the pin; otherwise why not. */
export function checkPinnedChain(peer: tls.DetailedPeerCertificate, sha256: string, host: string): string | null {
  if (peer === undefined || peer.raw === undefined) return 'the manager presented no certificate';
  const chain: X509Certificate[] = [];
  let current: tls.DetailedPeerCertificate | undefined = peer;
  for (let depth = 0; depth < 10 && current?.raw !== undefined; depth++) {
    chain.push(new X509Certificate(current.raw));
    if (current.issuerCertificate === undefined || current.issuerCertificate === current) break;
    current = current.issuerCertificate;
  }
  const index = chain.findIndex((c) => normalizeFingerprint(c.fingerprint256) === sha256);
  if (index < 0 && chain.length === 1 && chain[0]!.issuer !== chain[0]!.subject) {
    return (
      'the manager presented only its server certificate, not the CA it was signed by, so the CA fingerprint ' +
      `cannot be checked; use --ca with the CA file instead (server certificate issued by "${chain[0]!.issuer}")`
    );
  }
  if (index < 0) {
    return `the manager's certificate chain does not contain the pinned CA ${formatFingerprint(sha256)} (it presented ${chain
      .map((c) => formatFingerprint(normalizeFingerprint(c.fingerprint256) ?? ''))
      .join(', ')})`;
  }
  for (let i = 0; i < index; i++) {
    const child = chain[i]!;
    const parent = chain[i + 1]!;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return `the manager's certificate chain is broken between "${child.subject}" and "${parent.subject}"`;
    }
  }
  const now = Date.now();
  for (const cert of chain.slice(0, index + 1)) {
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) {
      return `certificate "${cert.subject}" is not valid now (${cert.validFrom} – ${cert.validTo})`;
    }
  }
  const leaf = chain[0]!;
  const covered = isIP(host) !== 0 ? leaf.checkIP(host) !== undefined : leaf.checkHost(host) !== undefined;
  if (!covered) return `the manager's certificate does not cover ${host}`;
  return null;
}

export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}
