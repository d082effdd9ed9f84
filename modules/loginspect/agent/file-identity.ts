import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';

/** Bytes at the head of a file hashed to tell a reused inode from the file that had it. */
export const FINGERPRINT_BYTES = 1024;

/** Where reading of one file stands, as saved across agent restarts. */
export const FileCheckpoint = Type.Object(
  {
    path: Type.String({ maxLength: 4096 }),
    dev: Type.Number(),
    ino: Type.Number(),
    /** Bytes handed to the engine: reading resumes here. */
    offset: Type.Integer({ minimum: 0 }),
    /** How many head bytes `fingerprint` covers (less than FINGERPRINT_BYTES while the file was shorter). */
    fingerprintBytes: Type.Integer({ minimum: 0, maximum: FINGERPRINT_BYTES }),
    fingerprint: Type.String({ maxLength: 128 }),
  },
  { additionalProperties: false },
);
export type FileCheckpoint = Static<typeof FileCheckpoint>;

export interface Fingerprint {
  readonly bytes: number;
  readonly hash: string;
}

/** The hash of the first `bytes` bytes of an open file, or undefined if it has fewer. */
export function headHash(fd: number, bytes: number): string | undefined {
  const buffer = Buffer.alloc(bytes);
  let read = 0;
  while (read < bytes) {
    const n = readSync(fd, buffer, read, bytes - read, read);
    if (n === 0) return undefined;
    read += n;
  }
  return createHash('sha256').update(buffer).digest('hex');
}

/** The fingerprint of a file of `size` bytes: its first FINGERPRINT_BYTES, or all of it if shorter. */
export function fingerprintOf(fd: number, size: number): Fingerprint {
  const bytes = Math.min(size, FINGERPRINT_BYTES);
  return { bytes, hash: headHash(fd, bytes) ?? '' };
}

/** The file still starts with the bytes it started with when the fingerprint was taken. */
export function sameHead(fd: number, fingerprint: Fingerprint): boolean {
  return headHash(fd, fingerprint.bytes) === fingerprint.hash;
}

/**
 * Looks beside `path` for the file with this device and inode: where a rotation moved a log
 * (`auth.log.1`, `auth.log-20261202`) while the agent was stopped. Bounded: a huge directory is
 * not walked whole.
 */
export function findRenamed(path: string, dev: number, ino: number, maxEntries = 2000): string | undefined {
  const dir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names.slice(0, maxEntries)) {
    const candidate = join(dir, name);
    try {
      const st = lstatSync(candidate);
      if (st.isFile() && st.dev === dev && st.ino === ino) return candidate;
    } catch {
      // Gone meanwhile: not it.
    }
  }
  return undefined;
}
