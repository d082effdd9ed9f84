import { lstat, opendir, stat } from 'node:fs/promises';
import {
  type CompiledRule,
  type EntityFilter,
  type Entry,
  type FileHash,
  type FilesEntitySet,
  hashesIn,
  isWithin,
  joinBytePath,
} from '../engine/index.js';
import type { Fingerprint, SkipReason } from './file-inspector.js';
import type { HashPool } from './hash-pool.js';
import type { InspectRequest } from './hash-worker.js';

/** What a walk of (part of) a file rule found. */
export interface FileObservation {
  readonly entries: Map<string, Entry>;
  /** Keys that could not be looked at; their baseline entries are kept, not reported deleted. */
  readonly skippedKeys: Set<string>;
  /** Directories that could not be listed; nothing below them is reported deleted. */
  readonly skippedDirectories: string[];
  readonly skips: Partial<Record<SkipReason, number>>;
  /** Directories seen, for the real-time watcher. */
  readonly directories: string[];
  hashed: number;
  reused: number;
  bytes: number;
}

export interface WalkOptions {
  readonly filter: EntityFilter;
  readonly pool: HashPool;
  /** The part of the rule to look at (a path under the base); the whole rule when absent. */
  readonly scope?: string;
  /** Baseline entries whose hashes may be reused when their stat fingerprint is unchanged. */
  readonly previous?: ReadonlyMap<string, Entry>;
  readonly maxEntries: number;
  /** A real-time check: its batches go before a running scan's in the hash pool. */
  readonly urgent?: boolean;
}

const BATCH = 128;

export function depthBelow(base: string, path: string): number {
  if (path === base) return 0;
  const rest = base === '/' ? path.slice(1) : path.slice(base.length + 1);
  return rest.split('/').length;
}

function fingerprintOf(entry: Entry | undefined): Fingerprint | undefined {
  if (!entry) return undefined;
  const { device, inode, size, mtime, ctime } = entry.attributes;
  if (typeof device !== 'number' || typeof inode !== 'number' || typeof size !== 'number') return undefined;
  if (typeof mtime !== 'number' || typeof ctime !== 'number') return undefined;
  return { device, inode, size, mtime, ctime };
}

export function emptyObservation(): FileObservation {
  return {
    entries: new Map(),
    skippedKeys: new Set(),
    skippedDirectories: [],
    skips: {},
    directories: [],
    hashed: 0,
    reused: 0,
    bytes: 0,
  };
}

function count(observation: FileObservation, reason: SkipReason, n = 1): void {
  observation.skips[reason] = (observation.skips[reason] ?? 0) + n;
}

function errorReason(error: unknown): SkipReason {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'vanished';
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  if (code === 'ENAMETOOLONG') return 'path-too-long';
  if (code === 'ELOOP') return 'symlink-loop';
  return 'io-error';
}

/**
 * Walks a file rule (or the part of it under `scope`): directories are listed here with a
 * streaming opendir, so a directory of 100,000 entries is never held as one array; every path
 * that is recorded goes to the hash workers in batches. Directory symlinks are followed only
 * when the rule says so, and then a directory already seen (same device and inode) is a loop.
 */
export async function walkFiles(
  rule: CompiledRule & { entity: FilesEntitySet },
  options: WalkOptions,
): Promise<FileObservation> {
  const base = rule.entity.base;
  const root = options.scope ?? base;
  const maxDepth = rule.entity.recursive === false ? 1 : (rule.entity.maxDepth ?? Number.POSITIVE_INFINITY);
  const hashes: FileHash[] = hashesIn(rule.attributes);
  const observation = emptyObservation();
  const inFlight: Promise<void>[] = [];
  let batch: InspectRequest[] = [];
  let recorded = 0;
  const visited = new Set<string>();

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const requests = batch;
    batch = [];
    const job = options.pool.inspect(hashes, requests, options.urgent === true).then(
      (results) => {
        for (const r of results) {
          if (r.ok) {
            observation.entries.set(r.entry.key, r.entry);
            if (r.reusedHashes) observation.reused += 1;
            else if (r.entry.attributes.type === 'file' && hashes.length > 0) {
              observation.hashed += 1;
              observation.bytes += Number(r.entry.attributes.size ?? 0);
            }
          } else {
            // A path that vanished is simply absent (and reported deleted if it was in the
            // baseline); anything else keeps its baseline entry until it can be looked at.
            if (r.reason !== 'vanished') observation.skippedKeys.add(r.key);
            count(observation, r.reason);
          }
        }
      },
      () => {
        for (const r of requests) observation.skippedKeys.add(r.key);
        count(observation, 'io-error', requests.length);
      },
    );
    inFlight.push(job);
    if (inFlight.length >= options.pool.size * 2) await inFlight.shift();
  };

  const record = async (path: string): Promise<void> => {
    if (!options.filter.includes(path)) return;
    if (recorded >= options.maxEntries) {
      observation.skippedKeys.add(path);
      count(observation, 'entity-limit');
      return;
    }
    recorded += 1;
    const previous = options.previous?.get(path);
    const request: InspectRequest = previous
      ? { key: path, previous: fingerprintOf(previous), previousHashes: previous.attributes }
      : { key: path };
    batch.push(request);
    if (batch.length >= BATCH) await flush();
  };

  const rootDepth = depthBelow(base, root);
  let rootIsDirectory = false;
  let rootExists = true;
  try {
    await lstat(Buffer.from(root, 'latin1'));
    try {
      const st = await stat(Buffer.from(root, 'latin1'));
      rootIsDirectory = st.isDirectory();
      if (rootIsDirectory) visited.add(`${st.dev}:${st.ino}`);
    } catch {
      // A dangling or looping symlink: recorded as a link, not walked.
    }
  } catch (error) {
    const reason = errorReason(error);
    if (reason === 'vanished') rootExists = false;
    else {
      observation.skippedKeys.add(root);
      count(observation, reason);
    }
  }
  if (rootExists && (!options.filter.prunes(root) || root === base)) await record(root);
  const stack: { dir: string; depth: number }[] = [];
  if (rootIsDirectory && rootDepth < maxDepth && (rule.entity.followSymlinks || (await isRealDirectory(root))))
    stack.push({ dir: root, depth: rootDepth });

  while (stack.length > 0) {
    const { dir, depth } = stack.pop()!;
    observation.directories.push(dir);
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(Buffer.from(dir, 'latin1'), { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
    } catch (error) {
      observation.skippedDirectories.push(dir);
      count(observation, errorReason(error));
      continue;
    }
    try {
      for await (const dirent of handle) {
        const name = (dirent.name as unknown as Buffer).toString('latin1');
        const path = joinBytePath(dir, name);
        if (dirent.isDirectory()) {
          if (options.filter.prunes(path)) continue;
          await record(path);
          if (depth + 1 < maxDepth) {
            if (rule.entity.followSymlinks) {
              const key = await directoryIdentity(path);
              if (key === undefined || visited.has(key)) continue;
              visited.add(key);
            }
            stack.push({ dir: path, depth: depth + 1 });
          }
        } else if (dirent.isSymbolicLink() && rule.entity.followSymlinks && depth + 1 < maxDepth) {
          await record(path);
          const key = await directoryIdentity(path);
          if (key === undefined) continue;
          if (visited.has(key)) {
            count(observation, 'symlink-loop');
            continue;
          }
          visited.add(key);
          stack.push({ dir: path, depth: depth + 1 });
        } else {
          await record(path);
        }
      }
    } catch (error) {
      observation.skippedDirectories.push(dir);
      count(observation, errorReason(error));
    }
  }
  await flush();
  await Promise.all(inFlight);
  return observation;
}

async function isRealDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(Buffer.from(path, 'latin1'))).isDirectory();
  } catch {
    return false;
  }
}

/** "dev:ino" of the directory a path leads to (following links), or undefined if it is not one. */
async function directoryIdentity(path: string): Promise<string | undefined> {
  try {
    const st = await stat(Buffer.from(path, 'latin1'));
    return st.isDirectory() ? `${st.dev}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a baseline key may be reported deleted after this observation. */
export function deletionScope(observation: FileObservation, scope: string | undefined): (key: string) => boolean {
  return (key) =>
    (scope === undefined || isWithin(key, scope)) &&
    !observation.skippedKeys.has(key) &&
    !observation.skippedDirectories.some((d) => isWithin(key, d) && key !== d);
}
