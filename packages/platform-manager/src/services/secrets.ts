import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** A random secret, URL-safe, with `bytes` bytes of entropy. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** For high-entropy secrets (API keys, tokens): a fast hash is enough and allows lookup by hash. */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function equalHashes(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A credential `<prefix>_<uuid>_<secret>` (API keys `bwk`, activation tokens `bwt`): the id finds
 * the row, and only the secret's sha256 is stored, so a leaked database holds no usable credential.
 */
export type CredentialPrefix = 'bwk' | 'bwt';

const CREDENTIAL = /^(bw[a-z])_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$/;

/** A new credential for the row `id`: the text to hand out once, and the hash to store. */
export function newCredential(prefix: CredentialPrefix, id: string): { text: string; hash: string } {
  const secret = randomSecret(32);
  return { text: `${prefix}_${id}_${secret}`, hash: sha256(secret) };
}

/** The row id and secret of a credential, or undefined when `text` is not one with this prefix. */
export function parseCredential(prefix: CredentialPrefix, text: unknown): { id: string; secret: string } | undefined {
  const match = typeof text === 'string' ? CREDENTIAL.exec(text) : null;
  if (!match || match[1] !== prefix) return undefined;
  return { id: match[2]!, secret: match[3]! };
}

export function secretMatches(secret: string, storedHash: string): boolean {
  return equalHashes(sha256(secret), storedHash);
}

/**
 * OWASP's Password Storage Cheat Sheet figure for scrypt: N=2^17, r=8, p=1 (128 MiB and a few
 * hundred milliseconds per hash). Hashes made with other parameters still verify and are
 * rewritten with these at the user's next sign-in (`needsRehash`).
 */
export const SCRYPT = { N: 131_072, r: 8, p: 1, keyLength: 64 } as const;

/** Each derivation holds 128·N·r bytes: two at a time bound the memory a burst of sign-ins takes. */
const MAX_CONCURRENT_DERIVATIONS = 2;
let running = 0;
const queued: (() => void)[] = [];

async function derive(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  keyLength: number,
): Promise<Buffer> {
  if (running >= MAX_CONCURRENT_DERIVATIONS) await new Promise<void>((resolve) => queued.push(resolve));
  running++;
  try {
    return await new Promise((resolve, reject) => {
      scrypt(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r }, (error, key) =>
        error ? reject(error) : resolve(key),
      );
    });
  } finally {
    running--;
    queued.shift()?.();
  }
}

/** Passwords are low-entropy: a slow, salted hash, stored with its parameters so they can change. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Parameters a stored hash would take an attacker to test; anything stronger than ours is not weakened. */
const MAX_STORED_N = 1_048_576;

export async function verifyPasswordHash(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  if (
    !(
      Number(n) >= 2 &&
      Number(n) <= MAX_STORED_N &&
      Number(r) >= 1 &&
      Number(r) <= 32 &&
      Number(p) >= 1 &&
      Number(p) <= 16
    )
  )
    return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when a stored hash was made with other parameters than today's (rehash it at sign-in). */
export function needsRehash(stored: string): boolean {
  const [scheme, n, r, p] = stored.split('$');
  return scheme !== 'scrypt' || Number(n) !== SCRYPT.N || Number(r) !== SCRYPT.r || Number(p) !== SCRYPT.p;
}

/** Spends the time of one verification, so an unknown user name answers as slowly as a known one. */
let dummyHash: Promise<string> | undefined;
export async function spendVerificationTime(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomSecret());
  await verifyPasswordHash(password, await dummyHash);
}
