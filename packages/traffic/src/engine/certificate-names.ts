/**
 * The names an X.509 certificate is for: the subject's common name and the subjectAltName DNS
 * names. Just enough DER to find them (RFC 5280 §4.1, §4.2.1.6); nothing is verified, since the
 * names only say which host the server claims to be (web reputation decides on them when the
 * client sent no SNI). Every length is checked against its container: garbage gives a reason.
 */

export interface CertificateNames {
  readonly subjectCommonName?: string;
  readonly dnsNames: readonly string[];
}

export type CertificateNamesResult =
  | { readonly ok: true; readonly names: CertificateNames }
  | { readonly ok: false; readonly reason: string };

/** DNS names taken from one certificate; a certificate may list more, the rest are not read. */
export const MAX_CERTIFICATE_DNS_NAMES = 256;
/** Longest name kept (a DNS name is at most 253 characters). */
const MAX_NAME_CHARS = 253;

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const OCTET_STRING = 0x04;
const BOOLEAN = 0x01;
const EXPLICIT_0 = 0xa0;
const EXPLICIT_3 = 0xa3;
const DNS_NAME = 0x82;
/** 2.5.4.3 (id-at-commonName) and 2.5.29.17 (id-ce-subjectAltName), as DER content bytes. */
const OID_COMMON_NAME = [0x55, 0x04, 0x03];
const OID_SUBJECT_ALT_NAME = [0x55, 0x1d, 0x11];
/** Character string types a common name may use: UTF8String, PrintableString, T61String, IA5String. */
const STRING_TAGS = new Set([0x0c, 0x13, 0x14, 0x16]);

interface Tlv {
  readonly tag: number;
  /** Content start and end (exclusive). */
  readonly start: number;
  readonly end: number;
}

class DerError extends Error {}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new DerError('truncated element');
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tag');
  let length = der[at + 1] as number;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError('bad length');
    if (start + count > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] as number);
    start += count;
  }
  if (start + length > limit) throw new DerError('element longer than its container');
  return { tag, start, end: start + length };
}

function expect(der: Uint8Array, at: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(der, at, limit);
  if (tlv.tag !== tag) throw new DerError(`${what}: tag 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The elements inside a constructed element, in order. */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const tlv = readTlv(der, at, parent.end);
    out.push(tlv);
    at = tlv.end;
  }
  return out;
}

function sameBytes(der: Uint8Array, tlv: Tlv, bytes: readonly number[]): boolean {
  if (tlv.end - tlv.start !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (der[tlv.start + i] !== bytes[i]) return false;
  return true;
}

const text = (der: Uint8Array, tlv: Tlv) =>
  new TextDecoder('utf-8', { fatal: false }).decode(
    der.subarray(tlv.start, Math.min(tlv.end, tlv.start + MAX_NAME_CHARS)),
  );

function commonName(der: Uint8Array, subject: Tlv): string | undefined {
  let found: string | undefined;
  for (const set of children(der, subject)) {
    if (set.tag !== SET) throw new DerError('subject: RDN is not a SET');
    for (const attribute of children(der, set)) {
      if (attribute.tag !== SEQUENCE) throw new DerError('subject: attribute is not a SEQUENCE');
      const [type, value] = children(der, attribute);
      if (type?.tag !== OID || value === undefined) throw new DerError('subject: attribute without type or value');
      // The most specific (last) common name is the one that names the host.
      if (sameBytes(der, type, OID_COMMON_NAME) && STRING_TAGS.has(value.tag)) found = text(der, value);
    }
  }
  return found;
}

function dnsNames(der: Uint8Array, extensions: Tlv, out: string[]): void {
  const list = expect(der, extensions.start, extensions.end, SEQUENCE, 'extensions');
  for (const extension of children(der, list)) {
    if (extension.tag !== SEQUENCE) throw new DerError('extension is not a SEQUENCE');
    const parts = children(der, extension);
    const id = parts[0];
    const value = parts[1]?.tag === BOOLEAN ? parts[2] : parts[1];
    if (id?.tag !== OID || value?.tag !== OCTET_STRING) throw new DerError('extension without id or value');
    if (!sameBytes(der, id, OID_SUBJECT_ALT_NAME)) continue;
    const names = expect(der, value.start, value.end, SEQUENCE, 'subjectAltName');
    for (const general of children(der, names)) {
      if (general.tag !== DNS_NAME) continue;
      if (out.length >= MAX_CERTIFICATE_DNS_NAMES) return;
      out.push(text(der, general));
    }
  }
}

/** The subject CN and subjectAltName DNS names of a DER certificate. */
export function certificateNames(der: Uint8Array): CertificateNamesResult {
  try {
    const certificate = expect(der, 0, der.length, SEQUENCE, 'certificate');
    const tbs = expect(der, certificate.start, certificate.end, SEQUENCE, 'tbsCertificate');
    const fields = children(der, tbs);
    // [0] version is optional (absent = v1): then serial, signature, issuer, validity, subject.
    const first = fields[0]?.tag === EXPLICIT_0 ? 1 : 0;
    const subject = fields[first + 4];
    if (subject?.tag !== SEQUENCE) throw new DerError('no subject');
    const cn = commonName(der, subject);
    const names: string[] = [];
    const extensions = fields.slice(first + 6).find((f) => f.tag === EXPLICIT_3);
    if (extensions) dnsNames(der, extensions, names);
    return { ok: true, names: { ...(cn === undefined ? {} : { subjectCommonName: cn }), dnsNames: names } };
  } catch (error) {
    if (error instanceof DerError) return { ok: false, reason: `certificate: ${error.message}` };
    throw error;
  }
}
