import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import type { AttributeValue, Entry, FileHash } from '../engine/index.js';

/**
 * Looks at one path and returns its attributes, or why it was skipped. Runs inside the hash
 * workers, so it is synchronous. A path is never opened unless lstat says it is a regular file;
 * the open uses O_NOFOLLOW|O_NONBLOCK (a symlink or fifo swapped in after lstat cannot redirect or
 * block the read) and fstat after open must show the same inode, so a swap is noticed.
 */

export type SkipReason =
  | 'vanished'
  | 'unreadable'
  | 'changed-while-hashing'
  | 'path-too-long'
  | 'symlink-loop'
  | 'entity-limit'
  | 'watch-limit'
  | 'watch-failed'
  | 'io-error';

/** Stat fields that, when all unchanged, let a scan reuse stored hashes. */
export interface Fingerprint {
  readonly device: number;
  readonly inode: number;
  readonly size: number;
  readonly mtime: number;
  readonly ctime: number;
}

export type Inspection =
  | { readonly ok: true; readonly entry: Entry; readonly reusedHashes: boolean }
  | { readonly ok: false; readonly key: string; readonly reason: SkipReason; readonly detail?: string };

const READ_CHUNK = 1 << 20;
const HASH_ATTEMPTS = 3;
let buffer: Buffer | undefined;

function typeOf(st: Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

function reasonOf(error: unknown): SkipReason {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'vanished';
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  if (code === 'ENAMETOOLONG') return 'path-too-long';
  if (code === 'ELOOP') return 'changed-while-hashing';
  return 'io-error';
}

function sameVersion(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

function attributesOf(st: Stats, type: string): Record<string, AttributeValue> {
  return {
    type,
    size: type === 'directory' ? null : st.size,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: st.mtimeMs,
    ctime: st.ctimeMs,
    inode: st.ino,
    device: st.dev,
    nlink: type === 'directory' ? null : st.nlink,
    target: null,
  };
}

type HashOutcome =
  | { ok: true; digests: Record<string, string>; stat: Stats }
  | { ok: false; reason: SkipReason; detail?: string };

function hashOpenFile(fd: number, hashes: readonly FileHash[]): Record<string, string> {
  const hashers: Hash[] = hashes.map((h) => createHash(h));
  buffer ??= Buffer.allocUnsafe(READ_CHUNK);
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    const chunk = buffer.subarray(0, n);
    for (const h of hashers) h.update(chunk);
  }
  const digests: Record<string, string> = {};
  hashes.forEach((name, i) => {
    digests[name] = hashers[i]!.digest('hex');
  });
  return digests;
}

function hashFile(path: Buffer, before: Stats, hashes: readonly FileHash[]): HashOutcome {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return { ok: false, reason: reasonOf(error), detail: (error as NodeJS.ErrnoException).code };
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile() || opened.ino !== before.ino || opened.dev !== before.dev)
      return { ok: false, reason: 'changed-while-hashing', detail: 'replaced between lstat and open' };
    const digests = hashOpenFile(fd, hashes);
    const after = fstatSync(fd);
    if (!sameVersion(opened, after))
      return { ok: false, reason: 'changed-while-hashing', detail: 'written while being read' };
    return { ok: true, digests, stat: after };
  } catch (error) {
    return { ok: false, reason: reasonOf(error), detail: (error as NodeJS.ErrnoException).code };
  } finally {
    closeSync(fd);
  }
}

/**
 * Inspects a path. `previous`, when given and equal to the current stat, means the content is
 * taken as unchanged and `previousHashes` are reused instead of reading the file.
 */
export function inspectPath(
  key: string,
  hashes: readonly FileHash[],
  previous?: Fingerprint,
  previousHashes?: Readonly<Record<string, AttributeValue>>,
): Inspection {
  const path = Buffer.from(key, 'latin1');
  for (let attempt = 1; ; attempt++) {
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (error) {
      return { ok: false, key, reason: reasonOf(error), detail: (error as NodeJS.ErrnoException).code };
    }
    const type = typeOf(st);
    const attributes = attributesOf(st, type);
    if (type === 'symlink') {
      try {
        attributes.target = readlinkSync(path, { encoding: 'buffer' }).toString('latin1');
      } catch (error) {
        return { ok: false, key, reason: reasonOf(error), detail: (error as NodeJS.ErrnoException).code };
      }
    }
    if (type !== 'file' || hashes.length === 0) return { ok: true, entry: { key, attributes }, reusedHashes: false };
    if (
      previous &&
      previousHashes &&
      previous.inode === st.ino &&
      previous.device === st.dev &&
      previous.size === st.size &&
      previous.mtime === st.mtimeMs &&
      previous.ctime === st.ctimeMs &&
      hashes.every((h) => typeof previousHashes[h] === 'string')
    ) {
      for (const h of hashes) attributes[h] = previousHashes[h]!;
      return { ok: true, entry: { key, attributes }, reusedHashes: true };
    }
    const outcome = hashFile(path, st, hashes);
    if (outcome.ok) {
      const final = attributesOf(outcome.stat, 'file');
      return { ok: true, entry: { key, attributes: { ...final, ...outcome.digests } }, reusedHashes: false };
    }
    if (outcome.reason !== 'changed-while-hashing' || attempt >= HASH_ATTEMPTS)
      return { ok: false, key, reason: outcome.reason, ...(outcome.detail ? { detail: outcome.detail } : {}) };
  }
}
