/**
 * The TLS ClientHello at the start of a client's stream: SNI and version. The handshake message
 * may be split over several records and the records over several segments, so the caller feeds
 * the stream's first bytes as they come (bounded by maxTlsHelloBytes) until this says done.
 */
import type { TlsClientHelloFacts } from './inspection-contract.js';

export type ClientHelloResult =
  | { readonly state: 'need-more' }
  | { readonly state: 'not-tls'; readonly reason: string }
  | {
      readonly state: 'done';
      readonly hello: TlsClientHelloFacts & { readonly legacyVersion: string };
      readonly sniBytes?: Uint8Array;
    };

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;

/** Parses the ClientHello from the start of the client's stream (all bytes seen so far). */
export function parseClientHello(stream: Uint8Array): ClientHelloResult {
  // Gather handshake bytes out of consecutive handshake records.
  const handshake: number[] = [];
  let at = 0;
  let needed = -1;
  while (at + 5 <= stream.length) {
    if (stream[at] !== RECORD_HANDSHAKE) return { state: 'not-tls', reason: `record type ${stream[at]}` };
    if (stream[at + 1] !== 3) return { state: 'not-tls', reason: 'record version' };
    const length = ((stream[at + 3] ?? 0) << 8) | (stream[at + 4] ?? 0);
    if (length === 0 || length > 16_384 + 2048) return { state: 'not-tls', reason: 'record length' };
    const body = stream.subarray(at + 5, at + 5 + length);
    for (const b of body) handshake.push(b);
    if (handshake.length >= 4 && needed < 0) {
      if (handshake[0] !== HANDSHAKE_CLIENT_HELLO) return { state: 'not-tls', reason: 'not a ClientHello' };
      needed = 4 + (((handshake[1] ?? 0) << 16) | ((handshake[2] ?? 0) << 8) | (handshake[3] ?? 0));
    }
    if (needed >= 0 && handshake.length >= needed) return parseHello(Uint8Array.from(handshake.slice(4, needed)));
    if (body.length < length) return { state: 'need-more' };
    at += 5 + length;
  }
  if (stream.length >= 1 && stream[0] !== RECORD_HANDSHAKE)
    return { state: 'not-tls', reason: `record type ${stream[0]}` };
  return { state: 'need-more' };
}

const version = (major: number, minor: number) => `${major}.${minor}`;

function parseHello(h: Uint8Array): ClientHelloResult {
  const bad = (reason: string): ClientHelloResult => ({ state: 'not-tls', reason });
  const u16 = (i: number) => ((h[i] ?? 0) << 8) | (h[i + 1] ?? 0);
  if (h.length < 38) return bad('short ClientHello');
  const legacyVersion = version(h[0] ?? 0, h[1] ?? 0);
  let at = 34;
  at += 1 + (h[at] ?? 0);
  if (at + 2 > h.length) return bad('session id');
  at += 2 + u16(at);
  if (at + 1 > h.length) return bad('cipher suites');
  at += 1 + (h[at] ?? 0);
  let best = legacyVersion;
  let bestNumber = ((h[0] ?? 0) << 8) | (h[1] ?? 0);
  let sni: string | undefined;
  let sniBytes: Uint8Array | undefined;
  if (at + 2 <= h.length) {
    const end = Math.min(h.length, at + 2 + u16(at));
    at += 2;
    while (at + 4 <= end) {
      const type = u16(at);
      const length = u16(at + 2);
      const body = h.subarray(at + 4, Math.min(end, at + 4 + length));
      if (type === 0 && body.length >= 5 && body[2] === 0) {
        const nameLength = ((body[3] ?? 0) << 8) | (body[4] ?? 0);
        sniBytes = Uint8Array.from(body.subarray(5, 5 + nameLength));
        sni = String.fromCharCode(...sniBytes);
      } else if (type === 43 && body.length >= 1) {
        for (let i = 1; i + 1 < 1 + (body[0] ?? 0) && i + 1 < body.length; i += 2) {
          const v = ((body[i] ?? 0) << 8) | (body[i + 1] ?? 0);
          // GREASE values (0x?a?a) are not versions.
          if ((v & 0x0f0f) === 0x0a0a) continue;
          if (v > bestNumber) {
            bestNumber = v;
            best = version(v >> 8, v & 0xff);
          }
        }
      }
      at += 4 + length;
    }
  }
  return {
    state: 'done',
    hello: { ...(sni === undefined ? {} : { sni }), version: best, legacyVersion },
    ...(sniBytes ? { sniBytes } : {}),
  };
}
