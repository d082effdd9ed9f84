import { createHash, createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { type UpdateSigner, updatePackageStatement, updateSignerStatement } from '@bulwark/protocol';

/** What the manager said about a package, as its chunks carry it. */
export interface PackageClaims {
  readonly kind: string;
  readonly version: number;
  readonly sha256: string;
  readonly size: number;
  readonly signature: string;
  readonly signer: UpdateSigner;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * The signing key's public half once the pinned CA has endorsed it; a reason otherwise. The CA is
 * the one the agent pinned at activation, so only a key the manager's CA vouches for is trusted.
 */
export function endorsedSigner(
  caPem: string,
  signer: UpdateSigner,
): { ok: true; key: KeyObject } | { ok: false; reason: string } {
  let caKey: KeyObject;
  try {
    caKey = new X509Certificate(caPem).publicKey;
  } catch (error) {
    return { ok: false, reason: `the pinned manager CA cannot be read: ${(error as Error).message}` };
  }
  const statement = Buffer.from(updateSignerStatement(signer.publicKey), 'utf8');
  let endorsed = false;
  try {
    endorsed = verify(
      'sha256',
      statement,
      { key: caKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signer.endorsement, 'base64'),
    );
  } catch {
    endorsed = false;
  }
  if (!endorsed) return { ok: false, reason: 'the update-signing key is not endorsed by the pinned manager CA' };
  try {
    const key = createPublicKey({ key: Buffer.from(signer.publicKey, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') return { ok: false, reason: 'the update-signing key is not Ed25519' };
    return { ok: true, key };
  } catch (error) {
    return { ok: false, reason: `the update-signing key cannot be read: ${(error as Error).message}` };
  }
}

/** Checks the claims' signature (made by an endorsed key) before a byte of the package is trusted. */
export function verifyClaims(caPem: string, claims: PackageClaims): Verdict {
  const signer = endorsedSigner(caPem, claims.signer);
  if (!signer.ok) return signer;
  const statement = Buffer.from(
    updatePackageStatement(claims.kind, claims.version, claims.sha256, claims.size),
    'utf8',
  );
  let good = false;
  try {
    good = verify(null, statement, signer.key, Buffer.from(claims.signature, 'base64'));
  } catch {
    good = false;
  }
  return good
    ? { ok: true }
    : { ok: false, reason: `the signature of ${claims.kind} version ${claims.version} does not verify` };
}

/** The downloaded bytes are the ones signed: size and SHA-256. */
export function verifyContent(claims: PackageClaims, content: Uint8Array): Verdict {
  if (content.length !== claims.size)
    return {
      ok: false,
      reason: `${claims.kind} version ${claims.version} is ${content.length} bytes, ${claims.size} were signed`,
    };
  const sha256 = createHash('sha256').update(content).digest('hex');
  return sha256 === claims.sha256
    ? { ok: true }
    : { ok: false, reason: `${claims.kind} version ${claims.version} does not match its signed SHA-256` };
}
