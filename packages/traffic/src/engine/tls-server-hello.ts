/**
 * The start of a TLS server's stream: the ServerHello (the version it chose) and, up to TLS 1.2,
 * the Certificate message that follows it in clear, reduced to the names of the server's own
 * (first) certificate. From TLS 1.3 on the certificate is encrypted: the facts say so. Like the
 * ClientHello, the messages may be split over records and segments: the caller feeds the
 * stream's first bytes as they come (bounded by maxTlsServerHelloBytes) until this says done.
 */
import { type CertificateNames, certificateNames } from './certificate-names.js';

export interface TlsServerHelloFacts {
  /** The version the server chose: supported_versions when present (TLS 1.3), else the ServerHello's. */
  readonly version: string;
  /** The names of the server's certificate; absent when it is not readable (see `missing`). */
  readonly certificate?: CertificateNames;
  /**
   * Why there is no certificate: `encrypted` (TLS 1.3), `not-sent` (session resumption, or no
   * Certificate message before the handshake went on), `malformed` (with `reason`).
   */
  readonly missing?: 'encrypted' | 'not-sent' | 'malformed';
  readonly reason?: string;
}

export type ServerHelloResult =
  | { readonly state: 'need-more' }
  | { readonly state: 'not-tls'; readonly reason: string }
  | { readonly state: 'done'; readonly facts: TlsServerHelloFacts };

const RECORD_HANDSHAKE = 22;
const SERVER_HELLO = 2;
const CERTIFICATE = 11;
const SERVER_HELLO_DONE = 14;
const SUPPORTED_VERSIONS = 43;
const MAX_RECORD_LENGTH = 16_384 + 2048;

const u16 = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u24 = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);

/** Parses the ServerHello and the Certificate from the start of the server's stream. */
export function parseServerHello(stream: Uint8Array): ServerHelloResult {
  const parts: Uint8Array[] = [];
  let at = 0;
  let handshakeOver = false;
  while (at + 5 <= stream.length) {
    if (stream[at + 1] !== 3) return { state: 'not-tls', reason: 'record version' };
    const length = u16(stream, at + 3);
    if (length === 0 || length > MAX_RECORD_LENGTH) return { state: 'not-tls', reason: 'record length' };
    if (stream[at] !== RECORD_HANDSHAKE) {
      // ChangeCipherSpec, alert or application data: no more handshake in clear.
      handshakeOver = true;
      break;
    }
    parts.push(stream.subarray(at + 5, Math.min(stream.length, at + 5 + length)));
    at += 5 + length;
  }
  const handshake = concat(parts);
  let version: string | undefined;
  for (let pos = 0; pos + 4 <= handshake.length; ) {
    const type = handshake[pos];
    const end = pos + 4 + u24(handshake, pos + 1);
    if (end > handshake.length) break;
    const body = handshake.subarray(pos + 4, end);
    if (version === undefined) {
      if (type !== SERVER_HELLO) return { state: 'not-tls', reason: 'not a ServerHello' };
      const chosen = chosenVersion(body);
      if (chosen === undefined) return { state: 'not-tls', reason: 'short ServerHello' };
      version = `${chosen >> 8}.${chosen & 0xff}`;
      // TLS 1.3 (and its drafts, 0x7fxx): everything after the ServerHello is encrypted.
      if (chosen >= 0x0304) return done({ version, missing: 'encrypted' });
    } else if (type === CERTIFICATE) return done(certificateFacts(version, body));
    else if (type === SERVER_HELLO_DONE) return done({ version, missing: 'not-sent' });
    pos = end;
  }
  if (handshakeOver)
    return version === undefined
      ? { state: 'not-tls', reason: 'no ServerHello before the handshake ended' }
      : done({ version, missing: 'not-sent' });
  if (at === 0 && stream.length >= 1 && stream[0] !== RECORD_HANDSHAKE)
    return { state: 'not-tls', reason: `record type ${stream[0]}` };
  return { state: 'need-more' };
}

const done = (facts: TlsServerHelloFacts): ServerHelloResult => ({ state: 'done', facts });

function chosenVersion(h: Uint8Array): number | undefined {
  if (h.length < 38) return undefined;
  let chosen = u16(h, 0);
  let at = 34;
  at += 1 + (h[at] ?? 0);
  at += 2 + 1; // cipher suite, compression method
  if (at + 2 <= h.length) {
    const end = Math.min(h.length, at + 2 + u16(h, at));
    for (at += 2; at + 4 <= end; at += 4 + u16(h, at + 2)) {
      if (u16(h, at) === SUPPORTED_VERSIONS && u16(h, at + 2) === 2 && at + 6 <= end) chosen = u16(h, at + 4);
    }
  }
  return chosen;
}

function certificateFacts(version: string, body: Uint8Array): TlsServerHelloFacts {
  const malformed = (reason: string): TlsServerHelloFacts => ({ version, missing: 'malformed', reason });
  if (body.length < 3) return malformed('short Certificate message');
  const listEnd = 3 + u24(body, 0);
  if (listEnd > body.length) return malformed('certificate list longer than its message');
  if (listEnd === 3) return { version, missing: 'not-sent' };
  const first = 6 + u24(body, 3);
  if (listEnd < 6 || first > listEnd) return malformed('certificate longer than its list');
  const names = certificateNames(body.subarray(6, first));
  return names.ok ? { version, certificate: names.names } : malformed(names.reason);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
