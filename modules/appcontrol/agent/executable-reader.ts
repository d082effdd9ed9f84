import { createHash } from 'node:crypto';
import { type BigIntStats, closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { classifyExecutable, type FileStamp, HEAD_BYTES, type InventoryEntry } from '../engine/index.js';

/** The largest file the inventory hashes; larger ones are counted as skipped. */
export const MAX_INVENTORY_HASH_BYTES = 1024 * 1024 * 1024;
/** Times a file that changes while it is read is read again before it is left out (and counted). */
export const MAX_READ_ATTEMPTS = 3;
const CHUNK_BYTES = 1024 * 1024;

export type ReadOutcome =
  | { readonly kind: 'executable'; readonly entry: InventoryEntry; readonly stamp: FileStamp }
  | { readonly kind: 'not-executable' }
  | { readonly kind: 'vanished' }
  | { readonly kind: 'unstable' }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'unreadable'; readonly reason: string };

function stampOf(st: BigIntStats): FileStamp {
  return {
    dev: Number(st.dev),
    ino: Number(st.ino),
    size: Number(st.size),
    mtimeSec: Number(st.mtimeNs / 1_000_000_000n),
    mtimeNsec: Number(st.mtimeNs % 1_000_000_000n),
    ctimeSec: Number(st.ctimeNs / 1_000_000_000n),
    ctimeNsec: Number(st.ctimeNs % 1_000_000_000n),
  };
}

const sameStamp = (a: FileStamp, b: FileStamp) =>
  a.ino === b.ino &&
  a.size === b.size &&
  a.mtimeSec === b.mtimeSec &&
  a.mtimeNsec === b.mtimeNsec &&
  a.ctimeSec === b.ctimeSec &&
  a.ctimeNsec === b.ctimeNsec;

/**
 * Reads one file for the inventory through one descriptor (never following a symlink): its head
 * decides whether it is an executable, then the whole of it is hashed. The descriptor's fstat
 * before and after must agree, else the file changed while it was read and is read again, up to
 * MAX_READ_ATTEMPTS times.
 */
export async function readExecutable(path: string): Promise<ReadOutcome> {
  for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') return { kind: 'vanished' };
      return { kind: 'unreadable', reason: (error as Error).message };
    }
    try {
      const before = await handle.stat({ bigint: true });
      if (!before.isFile()) return { kind: 'not-executable' };
      const head = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
      const kind = classifyExecutable(head.subarray(0, bytesRead));
      if (kind.kind === 'other') return { kind: 'not-executable' };
      if (before.size > BigInt(MAX_INVENTORY_HASH_BYTES)) return { kind: 'too-large' };
      const hash = createHash('sha256');
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(1, Number(before.size))));
      let offset = 0;
      for (;;) {
        const r = await handle.read(chunk, 0, chunk.length, offset);
        if (r.bytesRead === 0) break;
        hash.update(chunk.subarray(0, r.bytesRead));
        offset += r.bytesRead;
      }
      const after = await handle.stat({ bigint: true });
      const stamp = stampOf(after);
      if (!sameStamp(stampOf(before), stamp) || offset !== stamp.size) continue;
      return {
        kind: 'executable',
        entry: { path, sha256: hash.digest('hex'), size: offset, kind: kind.kind },
        stamp,
      };
    } catch (error) {
      return { kind: 'unreadable', reason: (error as Error).message };
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
  return { kind: 'unstable' };
}

/** Files up to this size are read synchronously (in short slices, see inventory-walker.ts). */
export const SYNC_READ_MAX_BYTES = 256 * 1024;
const syncChunk = Buffer.alloc(SYNC_READ_MAX_BYTES);

/**
 * readExecutable for small files with synchronous calls, several times faster than the promise
 * API per file; 'large' hands bigger executables to readExecutable.
 */
export function readSmallExecutableSync(path: string): ReadOutcome | { readonly kind: 'large' } {
  for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') return { kind: 'vanished' };
      return { kind: 'unreadable', reason: (error as Error).message };
    }
    try {
      const before = fstatSync(fd, { bigint: true });
      if (!before.isFile() || before.size === 0n) return { kind: 'not-executable' };
      const n = readSync(fd, syncChunk, 0, HEAD_BYTES, 0);
      const kind = classifyExecutable(syncChunk.subarray(0, n));
      if (kind.kind === 'other') return { kind: 'not-executable' };
      if (before.size > BigInt(SYNC_READ_MAX_BYTES)) return { kind: 'large' };
      const hash = createHash('sha256');
      let offset = 0;
      for (;;) {
        const r = readSync(fd, syncChunk, 0, syncChunk.length, offset);
        if (r === 0) break;
        hash.update(syncChunk.subarray(0, r));
        offset += r;
      }
      const stamp = stampOf(fstatSync(fd, { bigint: true }));
      if (!sameStamp(stampOf(before), stamp) || offset !== stamp.size) continue;
      return { kind: 'executable', entry: { path, sha256: hash.digest('hex'), size: offset, kind: kind.kind }, stamp };
    } catch (error) {
      return { kind: 'unreadable', reason: (error as Error).message };
    } finally {
      closeSync(fd);
    }
  }
  return { kind: 'unstable' };
}
