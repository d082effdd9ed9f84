/** The first question of a DNS query datagram (UDP). Responses and malformed messages are not queries. */
import type { DnsQueryFacts } from './inspection-contract.js';

export type DnsParse =
  | { readonly ok: true; readonly query: DnsQueryFacts; readonly nameBytes: Uint8Array }
  | { readonly ok: false; readonly reason: string };

export function parseDnsQuery(m: Uint8Array): DnsParse {
  if (m.length < 12) return { ok: false, reason: 'short dns header' };
  if (((m[2] ?? 0) & 0x80) !== 0) return { ok: false, reason: 'a response' };
  const questions = ((m[4] ?? 0) << 8) | (m[5] ?? 0);
  if (questions < 1) return { ok: false, reason: 'no question' };
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    const length = m[at];
    if (length === undefined) return { ok: false, reason: 'name runs past the end' };
    if (length === 0) {
      at++;
      break;
    }
    // Compression pointers have no place in the first question; refuse rather than follow.
    if (length > 63) return { ok: false, reason: 'bad label length' };
    if (at + 1 + length > m.length) return { ok: false, reason: 'name runs past the end' };
    labels.push(String.fromCharCode(...m.subarray(at + 1, at + 1 + length)));
    at += 1 + length;
    if (labels.length > 127) return { ok: false, reason: 'too many labels' };
  }
  if (at + 4 > m.length) return { ok: false, reason: 'short question' };
  const name = labels.join('.');
  return {
    ok: true,
    query: { name, type: ((m[at] ?? 0) << 8) | (m[at + 1] ?? 0) },
    nameBytes: Uint8Array.from(name, (c) => c.charCodeAt(0) & 0xff),
  };
}
