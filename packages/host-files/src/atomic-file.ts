import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Writes a file so that a reader (or a crash) sees either the old content or the new, never a
 * torn one: write a temporary file beside it, fsync it, rename it over the target, fsync the
 * directory so the rename itself survives a power loss.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o600): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  const fd = openSync(temporary, 'wx', mode);
  try {
    // open()'s mode passes through the umask (000 would make 0644 world-writable): set it exactly.
    fchmodSync(fd, mode);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temporary, path);
  } catch (error) {
    // The target stays as it was; the temporary file must not stay beside it.
    unlinkSync(temporary);
    throw error;
  }
  fsyncDirectory(dir);
}

export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `path` exist with mode 0600 whatever the umask, before a library (SQLite) opens it: SQLite
 * gives its -wal and -shm files the mode of the database file, so they are 0600 too. Files left
 * by an older version with a wider mode are narrowed.
 */
export function ensurePrivateFile(path: string, companions: readonly string[] = []): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  for (const companion of companions) if (existsSync(companion)) chmodSync(companion, 0o600);
}
