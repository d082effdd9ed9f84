import { closeSync } from 'node:fs';
import type { MultilineSettings } from '../engine/log-sources.js';
import { type FileCheckpoint, type Fingerprint, findRenamed, sameHead } from './file-identity.js';
import { type FileOwner, FileTable, fileId, type ReadOptions, type RecordSink } from './file-table.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-splitter.js';
import { MultilineJoiner } from './multiline.js';
import { expandGlob, GLOB_LIMITS, type GlobLimits, hasWildcard } from './path-glob.js';
import type { ReadScope } from './read-scope.js';
import { openLogFile } from './safe-open.js';
import type { SourceProblem } from './source-problem.js';

export interface FileSourceOptions extends ReadOptions {
  readonly path: string;
  readonly followSymlinks?: boolean;
  readonly multiline?: MultilineSettings;
  readonly globLimits?: GlobLimits;
}

/** The file table this source shares with the other file sources of its configuration, and its place among them. */
export interface SharedFiles {
  readonly table: FileTable;
  readonly rank: number;
  /** Where the manager's sources may read on this host; absent: anywhere (tests of reading alone). */
  readonly scope?: ReadScope;
}

/**
 * One configured file path or glob: finds the files, follows each by device and inode (so a
 * renamed file is still read to its end, and the file that takes its name is read from its
 * start), detects truncation, joins multi-line records and keeps a checkpoint per file so that a
 * restarted agent continues exactly where the records handed out end.
 *
 * Files live in a FileTable, shared by the sources of one configuration: a file is read once,
 * by the first source in the list that matches it. With several sources, call scan() on each in
 * list order, then read() on the table once; poll() does both for a source on its own.
 */
export class FileSource implements FileOwner {
  readonly key: string;
  readonly rank: number;
  readonly options: FileSourceOptions;
  readonly #table: FileTable;
  readonly #follow: boolean;
  readonly #scope: ReadScope | undefined;
  /** No checkpoint existed: files found by the first scan are read from their end (history is not replayed). */
  #fresh = true;
  #firstScan = true;
  #problems: SourceProblem[] = [];

  constructor(options: FileSourceOptions, shared?: SharedFiles) {
    this.options = options;
    this.key = options.path;
    this.#follow = options.followSymlinks ?? false;
    this.#table = shared?.table ?? new FileTable();
    this.rank = shared?.rank ?? 0;
    this.#scope = shared?.scope;
    // Fails here on a bad pattern, so the caller can report it before anything is read.
    new MultilineJoiner(options.multiline, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  }

  /** Saved checkpoints from the last run; `undefined` when this source never ran on this host. */
  restore(checkpoints: readonly FileCheckpoint[] | undefined): void {
    this.#fresh = checkpoints === undefined;
    this.#table.setSaved(this, [...(checkpoints ?? [])]);
  }

  get problems(): readonly SourceProblem[] {
    return this.#problems;
  }

  get followedFiles(): number {
    return this.#table.owned(this).filter((t) => t.goneSince === undefined).length;
  }

  /** scan() then read of this source's table: for a source that has its table to itself. */
  poll(now: number, out: RecordSink): void {
    this.scan(now, out);
    this.#table.read(now, out);
  }

  /**
   * Finds the files the path matches now and takes those no source earlier in the list matches;
   * a file this source follows but no longer matches is marked rotated, to be drained and let go
   * (unless a later source matches it: that one takes it over where it stands).
   */
  scan(now: number, out: RecordSink): void {
    const table = this.#table;
    const problems: SourceProblem[] = [];
    const expansion = expandGlob(this.options.path, this.#follow, this.options.globLimits ?? GLOB_LIMITS);
    for (const p of expansion.problems) problems.push({ source: this.key, ...p });
    const seen = new Set<string>();
    if (table.savedOf(this).length > 0) this.#reopenRotated(now);
    for (const path of expansion.paths) {
      const opened = openLogFile(path, this.#follow);
      if (!opened.ok) {
        // A glob's match that vanished between listing and opening is not a problem.
        if (!(opened.missing && hasWildcard(this.options.path)))
          problems.push({ source: this.key, path, reason: opened.reason });
        continue;
      }
      const refused = this.#scope?.refusesOpened(opened.fd, path);
      if (refused) {
        closeSync(opened.fd);
        problems.push({ source: this.key, path, reason: refused });
        continue;
      }
      const id = fileId(opened.stats.dev, opened.stats.ino);
      const known = table.files.get(id);
      if (known) {
        closeSync(opened.fd);
        if (known.owner !== this) {
          // Sources scan in list order: an earlier one that still follows the file keeps it.
          if (known.owner.rank < this.rank && known.goneSince === undefined) continue;
          table.transfer(known, this, out);
        }
        seen.add(id);
        known.path = path;
        known.goneSince = undefined;
        continue;
      }
      seen.add(id);
      this.#track(path, opened.fd, opened.stats.dev, opened.stats.ino, opened.stats.size);
    }
    if (hasWildcard(this.options.path) && expansion.paths.length === 0 && expansion.problems.length === 0)
      problems.push({ source: this.key, path: this.options.path, reason: 'no file matches' });
    table.setSaved(this, []);
    this.#firstScan = false;
    for (const tracked of table.owned(this))
      if (!seen.has(fileId(tracked.dev, tracked.ino)) && tracked.goneSince === undefined) tracked.goneSince = now;
    this.#problems = problems;
  }

  /** Where each of its files stands: what was handed out, never a record still being joined. */
  checkpoint(): FileCheckpoint[] {
    const out: FileCheckpoint[] = [];
    for (const t of this.#table.owned(this))
      out.push({
        path: t.path,
        dev: t.dev,
        ino: t.ino,
        offset: t.joiner.pendingStart ?? t.committed,
        fingerprintBytes: t.fingerprint.bytes,
        fingerprint: t.fingerprint.hash,
      });
    // Files of the last run not seen yet keep their place.
    for (const c of this.#table.savedOf(this)) if (!this.#table.files.has(fileId(c.dev, c.ino))) out.push(c);
    return out;
  }

  close(): void {
    this.#table.close(this);
  }

  /**
   * After a restart: a checkpointed file that is no longer at its path was rotated while the
   * agent was stopped; if it is still beside it under another name, it is read to its end first.
   */
  #reopenRotated(now: number): void {
    for (const c of this.#table.savedOf(this)) {
      if (this.#table.files.has(fileId(c.dev, c.ino))) continue;
      const opened = openLogFile(c.path, this.#follow);
      if (opened.ok) {
        const same = opened.stats.dev === c.dev && opened.stats.ino === c.ino;
        closeSync(opened.fd);
        if (same) continue;
      }
      const renamed = findRenamed(c.path, c.dev, c.ino);
      if (!renamed) continue;
      const old = openLogFile(renamed, this.#follow);
      if (!old.ok) continue;
      if (
        old.stats.dev !== c.dev ||
        old.stats.ino !== c.ino ||
        this.#scope?.refusesOpened(old.fd, renamed) !== undefined ||
        !sameHead(old.fd, fingerprintOf(c))
      ) {
        closeSync(old.fd);
        continue;
      }
      const tracked = this.#table.add(this, renamed, old.fd, c.dev, c.ino, Math.min(c.offset, old.stats.size));
      // Already rotated: drained now and closed once read, whatever the grace period.
      tracked.goneSince = now - (this.options.rotatedGraceMs ?? 5000);
    }
  }

  #track(path: string, fd: number, dev: number, ino: number, size: number): void {
    const saved = this.#table.saved(dev, ino);
    let start = 0;
    if (saved) {
      // Same inode but other head bytes: the inode was reused by a new file.
      if (sameHead(fd, fingerprintOf(saved)) && saved.offset <= size) start = saved.offset;
    } else if (this.#fresh && this.#firstScan) start = size;
    this.#table.add(this, path, fd, dev, ino, start);
  }
}

function fingerprintOf(c: FileCheckpoint): Fingerprint {
  return { bytes: c.fingerprintBytes, hash: c.fingerprint };
}
