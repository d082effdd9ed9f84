import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { formatFingerprint, normalizeFingerprint } from './fingerprint.js';
import { derToPem } from './x509.js';

/** The longest chain followed from the server certificate up. */
const MAX_CHAIN_DEPTH = 10;

export type PinnedChainResult =
  | { readonly ok: true /** The pinned certificate (the manager's CA), PEM. */; readonly caPem: string }
  | { readonly ok: false; readonly message: string };

/**
 * Trust anchored on one certificate fingerprint (`sha256`, 64 hex digits): the chain the manager
 * presents must contain a certificate with that SHA-256, every signature from the server
 * certificate up to it must hold, each of those certificates must be valid now, and the server
 * certificate must cover `host`. The one check the agent (activation) and the CLI pin with.
 */
export function checkPinnedChain(
  peer: tls.DetailedPeerCertificate | undefined,
  sha256: string,
  host: string,
  now = Date.now(),
): PinnedChainResult {
  const pinned = normalizeFingerprint(sha256);
  if (pinned === null) return { ok: false, message: `${sha256} is not a SHA-256 fingerprint` };
  if (peer === undefined || peer.raw === undefined)
    return { ok: false, message: 'the manager presented no certificate' };
  const chain: X509Certificate[] = [];
  let current: tls.DetailedPeerCertificate | undefined = peer;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH && current?.raw !== undefined; depth++) {
    chain.push(new X509Certificate(current.raw));
    if (current.issuerCertificate === undefined || current.issuerCertificate === current) break;
    current = current.issuerCertificate;
  }
  const presented = chain.map((c) => normalizeFingerprint(c.fingerprint256) ?? '');
  const index = presented.indexOf(pinned);
  if (index < 0 && chain.length === 1 && chain[0]!.issuer !== chain[0]!.subject) {
    return {
      ok: false,
      message:
        'the manager presented only its server certificate, not the CA it was signed by, so the CA fingerprint ' +
        `cannot be checked; use --ca with the CA file instead (server certificate issued by "${chain[0]!.issuer}")`,
    };
  }
  if (index < 0) {
    return {
      ok: false,
      message: `the manager's certificate chain does not contain the pinned CA, SHA-256 fingerprint ${formatFingerprint(pinned)} (it presented ${presented.map(formatFingerprint).join(', ')}); check the fingerprint, or use --ca with the CA file`,
    };
  }
  for (let i = 0; i < index; i++) {
    const child = chain[i]!;
    const parent = chain[i + 1]!;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return {
        ok: false,
        message: `the manager's certificate chain is broken between "${child.subject}" and "${parent.subject}"`,
      };
    }
  }
  for (const cert of chain.slice(0, index + 1)) {
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) {
      return {
        ok: false,
        message: `certificate "${cert.subject}" is not valid now (${cert.validFrom} – ${cert.validTo})`,
      };
    }
  }
  const leaf = chain[0]!;
  const covered = isIP(host) !== 0 ? leaf.checkIP(host) !== undefined : leaf.checkHost(host) !== undefined;
  if (!covered) return { ok: false, message: `the manager's certificate does not cover ${host}` };
  return { ok: true, caPem: derToPem(chain[index]!.raw) };
}

/** A connection refused by the pin; its message says why. */
export class PinMismatchError extends Error {}

/**
 * An https.Agent whose connections are trusted by `checkPinnedChain` alone. The socket reaches
 * the HTTP layer only after the check, so no request (no API key, no activation token) is ever
 * written to an unverified peer.
 */
export class PinnedAgent extends https.Agent {
  readonly #sha256: string;

  constructor(sha256: string, options: https.AgentOptions = {}) {
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
      const checked = checkPinnedChain(socket.getPeerCertificate(true), this.#sha256, host);
      if (!checked.ok) {
        socket.destroy();
        done(new PinMismatchError(checked.message), socket);
        return;
      }
      done(null, socket);
    });
    // Node's http.Agent waits for the callback when createConnection returns nothing.
    return undefined as unknown as Duplex;
  }
}

/**
 * Opens a TLS connection that sends nothing, checks the chain the manager presents against the
 * pin and answers the pinned CA. The agent then talks to the manager trusting that CA alone, so
 * Node's own chain and name checks apply as well, and the CA is what the agent keeps.
 */
export function fetchPinnedCa(url: URL, sha256: string, timeoutMs = 15_000): Promise<PinnedChainResult> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) !== 0 ? {} : { servername: host }),
      // Verified below by the pin; nothing is sent on this connection.
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, message: `no TLS handshake with ${url.host} within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `cannot reach ${url.host}: ${error.message}` });
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const checked = checkPinnedChain(socket.getPeerCertificate(true), sha256, host);
      socket.destroy();
      resolve(checked.ok ? checked : { ok: false, message: `${url.host}: ${checked.message}` });
    });
  });
}
