import { opendir } from 'node:fs/promises';
import type { FileStamp, InventoryEntry } from '../engine/index.js';
import { readExecutable } from './executable-reader.js';

/** Files the inventory reads at most; beyond it the inventory is cut and says so. */
export const MAX_INVENTORY_FILES = 2_000_000;
/** Files read at once (the libuv pool does the I/O). */
const CONCURRENCY = 16;

export interface InventoryWalk {
  readonly entries: Map<string, InventoryEntry>;
  /** Stamps of the files as hashed, to seed the verdict cache. */
  readonly stamps: Map<string, FileStamp>;
  readonly counts: {
    files: number;
    executables: number;
    vanished: number;
    unstable: number;
    tooLarge: number;
    unreadable: number;
    directoriesUnreadable: number;
  };
  /** Some paths that could not be read in full, with why (at most 20). */
  readonly problems: string[];
  readonly truncated: boolean;
}

/**
 * Walks the roots (symlinks are not followed; a root that does not exist is skipped) and reads
 * every regular file: ELF objects and `#!` scripts make the inventory. Files that vanish or keep
 * changing while read are left out and counted, never half-read.
 */
export async function walkInventory(roots: readonly string[]): Promise<InventoryWalk> {
  const walk: InventoryWalk = {
    entries: new Map(),
    stamps: new Map(),
    counts: {
      files: 0,
      executables: 0,
      vanished: 0,
      unstable: 0,
      tooLarge: 0,
      unreadable: 0,
      directoriesUnreadable: 0,
    },
    problems: [],
    truncated: false,
  };
  const note = (problem: string) => {
    if (walk.problems.length < 20) walk.problems.push(problem);
  };
  const directories = [...new Set(roots)];
  const files: string[] = [];
  let truncated = false;
  const readFiles = async () => {
    const batch = files.splice(0, files.length);
    let next = 0;
    const worker = async () => {
      while (next < batch.length) {
        const path = batch[next++] as string;
        const outcome = await readExecutable(path);
        switch (outcome.kind) {
          case 'executable':
            walk.entries.set(path, outcome.entry);
            walk.stamps.set(path, outcome.stamp);
            walk.counts.executables++;
            break;
          case 'vanished':
            walk.counts.vanished++;
            break;
          case 'unstable':
            walk.counts.unstable++;
            note(`${path}: changed while it was read`);
            break;
          case 'too-large':
            walk.counts.tooLarge++;
            note(`${path}: too large to hash`);
            break;
          case 'unreadable':
            walk.counts.unreadable++;
            note(`${path}: ${outcome.reason}`);
            break;
          default:
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  while (directories.length > 0 && !truncated) {
    const dir = directories.pop() as string;
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(dir, { bufferSize: 256 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        walk.counts.directoriesUnreadable++;
        note(`${dir}: ${(error as Error).message}`);
      }
      continue;
    }
    try {
      for await (const d of handle) {
        const path = dir === '/' ? `/${d.name}` : `${dir}/${d.name}`;
        if (d.isDirectory()) directories.push(path);
        else if (d.isFile()) {
          if (walk.counts.files >= MAX_INVENTORY_FILES) {
            truncated = true;
            break;
          }
          walk.counts.files++;
          files.push(path);
        }
      }
    } catch (error) {
      walk.counts.directoriesUnreadable++;
      note(`${dir}: ${(error as Error).message}`);
    }
    if (files.length >= 4096) await readFiles();
  }
  await readFiles();
  return { ...walk, truncated };
}
