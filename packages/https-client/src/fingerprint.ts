import { X509Certificate } from 'node:crypto';

/**
 * A SHA-256 certificate fingerprint as people paste it — `AB:CD:…` (openssl, the manager's
 * banner), plain hex in either case, with spaces, or prefixed `sha256:` / `sha256=` — as 64
 * upper-case hex digits; null when it is not one.
 */
export function normalizeFingerprint(text: string): string | null {
  const hex = text
    .replace(/^\s*sha256[:=]/i, '')
    .replace(/[\s:]/g, '')
    .toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex : null;
}

/** `AB:CD:…`, the notation of `openssl x509 -fingerprint -sha256` and of the manager's banner. */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

/** SHA-256 of a certificate (PEM text or DER bytes), 64 upper-case hex digits. Throws on a non-certificate. */
export function certificateFingerprint(certificate: string | Buffer): string {
  return new X509Certificate(certificate).fingerprint256.replace(/:/g, '');
}
