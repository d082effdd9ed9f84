/**
 * The activation token as handed to an operator: the manager's credential (`bwt_<id>_<secret>`,
 * of which the manager keeps only a hash) followed by `.` and the SHA-256 fingerprint of the
 * manager's CA (64 lower-case hex digits). The agent pins that CA before it sends anything, so
 * the token cannot be given to a server that merely answers on the address.
 * The fingerprint is public; only the credential part is sent at activation.
 */
export interface ActivationTokenParts {
  /** What the manager checks: `bwt_<id>_<secret>`. */
  readonly credential: string;
  /** SHA-256 of the manager's CA certificate (DER), upper-case hex without separators; null when the token carries none. */
  readonly caSha256: string | null;
}

const WITH_FINGERPRINT = /^(bwt_[0-9a-f-]{36}_[A-Za-z0-9_-]{32,128})\.([0-9a-fA-F]{64})$/;

/** `fingerprint` in any usual notation (`AB:CD:…`, plain hex, either case). */
export function formatActivationToken(credential: string, fingerprint: string): string {
  const hex = fingerprint.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('the CA fingerprint must be a SHA-256 (64 hex digits)');
  return `${credential}.${hex}`;
}

/** Splits a token; one without a fingerprint part (made by an older manager) comes back whole with caSha256 null. */
export function parseActivationToken(text: string): ActivationTokenParts {
  const trimmed = text.trim();
  const match = WITH_FINGERPRINT.exec(trimmed);
  if (!match) return { credential: trimmed, caSha256: null };
  return { credential: match[1]!, caSha256: match[2]!.toUpperCase() };
}
