import { type Dirent, readdirSync } from 'node:fs';
import type { FileStamp, InventoryEntry } from '../engine/index.js';
import { type ReadOutcome, readExecutable, readSmallExecutableSync } from './executable-reader.js';

/** Files the inventory reads at most; beyond it the inventory is cut and says so. */
export const MAX_INVENTORY_FILES = 2_000_000;
/** Large files read at once (the libuv pool does the I/O). */
const CONCURRENCY = 4;
/**
 * Small files are read with synchronous calls in slices of this many milliseconds, then the event
 * loop gets its turn: a held exec waits at most about this long for its answer during a walk.
 */
const SLICE_MS = 5;

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
  const record = (path: string, outcome: ReadOutcome) => {
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
  };
  const readFiles = async () => {
    const batch = files.splice(0, files.length);
    const large: string[] = [];
    let sliceStart = performance.now();
    for (const path of batch) {
      const outcome = readSmallExecutableSync(path);
      if (outcome.kind === 'large') large.push(path);
      else record(path, outcome);
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < large.length) {
        const path = large[next++] as string;
        record(path, await readExecutable(path));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  while (directories.length > 0 && !truncated) {
    const dir = directories.pop() as string;
    let listing: Dirent[];
    try {
      listing = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        walk.counts.directoriesUnreadable++;
        note(`${dir}: ${(error as Error).message}`);
      }
      continue;
    }
    for (const d of listing) {
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
    if (files.length >= 4096) await readFiles();
  }
  await readFiles();
  return { ...walk, truncated };
}
