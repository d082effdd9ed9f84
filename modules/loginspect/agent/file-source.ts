import { closeSync, fstatSync, readSync } from 'node:fs';
import type { MultilineSettings } from '../manager/loginspect-sources.js';
import {
  FINGERPRINT_BYTES,
  type FileCheckpoint,
  type Fingerprint,
  findRenamed,
  fingerprintOf,
  sameHead,
} from './file-identity.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type SplitLine } from './line-splitter.js';
import { type LogRecord, MultilineJoiner } from './multiline.js';
import { expandGlob, GLOB_LIMITS, type GlobLimits, hasWildcard } from './path-glob.js';
import { openLogFile } from './safe-open.js';
import type { SourceProblem } from './source-problem.js';

export interface FileSourceOptions {
  readonly path: string;
  readonly followSymlinks?: boolean;
  readonly multiline?: MultilineSettings;
  /** Bytes read per file per poll at most; the rest waits for the next poll. Default 4 MiB. */
  readonly maxBytesPerPoll?: number;
  readonly maxLineBytes?: number;
  /** How long a rotated (renamed or deleted) file is still read for late writes. Default 5 s. */
  readonly rotatedGraceMs?: number;
  readonly globLimits?: GlobLimits;
}

interface Tracked {
  path: string;
  fd: number;
  readonly dev: number;
  readonly ino: number;
  readonly splitter: LineSplitter;
  readonly joiner: MultilineJoiner;
  /** Offset of the first byte of the next line the splitter will complete. */
  lineStart: number;
  /** End of the last record handed out. */
  committed: number;
  fingerprint: Fingerprint;
  lastSize: number;
  /** When the file left every matching path (rotated away or deleted); it is drained, then closed. */
  goneSince: number | undefined;
}

const READ_CHUNK = 1024 * 1024;
const readBuffer = Buffer.alloc(READ_CHUNK);

/**
 * One configured file path or glob: finds the files, follows each by device and inode (so a
 * renamed file is still read to its end, and the file that takes its name is read from its
 * start), detects truncation, joins multi-line records and keeps a checkpoint per file so that a
 * restarted agent continues exactly where the records handed out end.
 */
export class FileSource {
  readonly key: string;
  readonly #options: FileSourceOptions;
  readonly #follow: boolean;
  readonly #maxLineBytes: number;
  readonly #files = new Map<string, Tracked>();
  /** Checkpoints not yet matched to an open file (just after a restart). */
  #restore: FileCheckpoint[] = [];
  /** No checkpoint existed: files found by the first scan are read from their end (history is not replayed). */
  #fresh = true;
  #firstScan = true;
  #problems: SourceProblem[] = [];

  constructor(options: FileSourceOptions) {
    this.#options = options;
    this.key = options.path;
    this.#follow = options.followSymlinks ?? false;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    // Fails here on a bad pattern, so the caller can report it before anything is read.
    new MultilineJoiner(options.multiline, this.#maxLineBytes);
  }

  /** Saved checkpoints from the last run; `undefined` when this source never ran on this host. */
  restore(checkpoints: readonly FileCheckpoint[] | undefined): void {
    this.#fresh = checkpoints === undefined;
    this.#restore = [...(checkpoints ?? [])];
  }

  get problems(): readonly SourceProblem[] {
    return this.#problems;
  }

  get followedFiles(): number {
    return [...this.#files.values()].filter((t) => t.goneSince === undefined).length;
  }

  /** Reads what every file gained since the last poll; `out` gets each record in file order. */
  poll(now: number, out: (record: LogRecord, path: string) => void): void {
    const problems: SourceProblem[] = [];
    const expansion = expandGlob(this.#options.path, this.#follow, this.#options.globLimits ?? GLOB_LIMITS);
    for (const p of expansion.problems) problems.push({ source: this.key, ...p });
    const seen = new Set<string>();
    if (this.#restore.length > 0) this.#reopenRotated(now);
    for (const path of expansion.paths) {
      const opened = openLogFile(path, this.#follow);
      if (!opened.ok) {
        // A glob's match that vanished between listing and opening is not a problem.
        if (!(opened.missing && hasWildcard(this.#options.path)))
          problems.push({ source: this.key, path, reason: opened.reason });
        continue;
      }
      const id = `${opened.stats.dev}:${opened.stats.ino}`;
      seen.add(id);
      const known = this.#files.get(id);
      if (known) {
        closeSync(opened.fd);
        known.path = path;
        known.goneSince = undefined;
        continue;
      }
      this.#files.set(id, this.#track(path, opened.fd, opened.stats.dev, opened.stats.ino, opened.stats.size));
    }
    if (hasWildcard(this.#options.path) && expansion.paths.length === 0 && expansion.problems.length === 0)
      problems.push({ source: this.key, path: this.#options.path, reason: 'no file matches' });
    this.#restore = [];
    this.#firstScan = false;
    for (const tracked of this.#files.values())
      if (!seen.has(`${tracked.dev}:${tracked.ino}`) && tracked.goneSince === undefined) tracked.goneSince = now;

    // Rotated files first, so the lines they still hold come before those of their successor.
    const unfinished = new Set<string>();
    for (const [id, tracked] of this.#files) {
      if (tracked.goneSince === undefined) continue;
      const atEnd = this.#read(tracked, now, out);
      if (!atEnd) unfinished.add(tracked.path);
      else if (now - tracked.goneSince >= (this.#options.rotatedGraceMs ?? 5000)) {
        this.#finish(tracked, now, out);
        this.#files.delete(id);
      }
    }
    for (const tracked of this.#files.values())
      if (tracked.goneSince === undefined && !unfinished.has(tracked.path)) this.#read(tracked, now, out);
    this.#problems = problems;
  }

  /** Where each file stands: what was handed out, never a record still being joined. */
  checkpoint(): FileCheckpoint[] {
    const out: FileCheckpoint[] = [];
    for (const t of this.#files.values())
      out.push({
        path: t.path,
        dev: t.dev,
        ino: t.ino,
        offset: t.joiner.pendingStart ?? t.committed,
        fingerprintBytes: t.fingerprint.bytes,
        fingerprint: t.fingerprint.hash,
      });
    // Files of the last run not seen yet keep their place.
    for (const c of this.#restore) if (!this.#files.has(`${c.dev}:${c.ino}`)) out.push(c);
    return out;
  }

  close(): void {
    for (const t of this.#files.values()) closeSync(t.fd);
    this.#files.clear();
  }

  /**
   * After a restart: a checkpointed file that is no longer at its path was rotated while the
   * agent was stopped; if it is still beside it under another name, it is read to its end first.
   */
  #reopenRotated(now: number): void {
    for (const c of this.#restore) {
      const id = `${c.dev}:${c.ino}`;
      if (this.#files.has(id)) continue;
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
      if (old.stats.dev !== c.dev || old.stats.ino !== c.ino || !sameHead(old.fd, this.#fingerprintOf(c))) {
        closeSync(old.fd);
        continue;
      }
      const tracked = this.#newTracked(renamed, old.fd, c.dev, c.ino, Math.min(c.offset, old.stats.size));
      // Already rotated: drained now and closed once read, whatever the grace period.
      tracked.goneSince = now - (this.#options.rotatedGraceMs ?? 5000);
      this.#files.set(id, tracked);
    }
  }

  #fingerprintOf(c: FileCheckpoint): Fingerprint {
    return { bytes: c.fingerprintBytes, hash: c.fingerprint };
  }

  #track(path: string, fd: number, dev: number, ino: number, size: number): Tracked {
    const saved = this.#restore.find((c) => c.dev === dev && c.ino === ino);
    let start = 0;
    if (saved) {
      // Same inode but other head bytes: the inode was reused by a new file.
      if (sameHead(fd, this.#fingerprintOf(saved)) && saved.offset <= size) start = saved.offset;
    } else if (this.#fresh && this.#firstScan) start = size;
    return this.#newTracked(path, fd, dev, ino, start);
  }

  #newTracked(path: string, fd: number, dev: number, ino: number, start: number): Tracked {
    const size = fstatSync(fd).size;
    return {
      path,
      fd,
      dev,
      ino,
      splitter: new LineSplitter(start, this.#maxLineBytes),
      joiner: new MultilineJoiner(this.#options.multiline, this.#maxLineBytes),
      lineStart: start,
      committed: start,
      fingerprint: fingerprintOf(fd, size),
      lastSize: size,
      goneSince: undefined,
    };
  }

  /** Reads new bytes of one file; true when it is read to its current end. */
  #read(t: Tracked, now: number, out: (record: LogRecord, path: string) => void): boolean {
    const emit = (record: LogRecord): void => {
      t.committed = record.end;
      out(record, t.path);
    };
    const onLine = (line: SplitLine): void => {
      const start = t.lineStart;
      t.lineStart = line.end;
      t.joiner.push(line, start, now, emit);
    };
    let size: number;
    try {
      size = fstatSync(t.fd).size;
    } catch {
      return true;
    }
    if (size < t.splitter.position || (size !== t.lastSize && this.#headChanged(t, size))) {
      // Truncated (or truncated and rewritten past where we were): start over from 0. Complete
      // lines already joined are passed on; the unfinished line's bytes are gone.
      t.joiner.flush(emit);
      t.splitter.reset(0);
      t.lineStart = 0;
      t.committed = 0;
      t.fingerprint = { bytes: 0, hash: fingerprintOf(t.fd, 0).hash };
    }
    t.lastSize = size;
    if (t.fingerprint.bytes < FINGERPRINT_BYTES && size > t.fingerprint.bytes)
      t.fingerprint = fingerprintOf(t.fd, size);
    let budget = this.#options.maxBytesPerPoll ?? 4 * 1024 * 1024;
    while (budget > 0 && t.splitter.position < size) {
      const want = Math.min(READ_CHUNK, budget, size - t.splitter.position);
      let n: number;
      try {
        n = readSync(t.fd, readBuffer, 0, want, t.splitter.position);
      } catch {
        return true;
      }
      if (n === 0) break;
      budget -= n;
      t.splitter.push(readBuffer.subarray(0, n), onLine);
    }
    t.joiner.flushIfStale(now, emit);
    return t.splitter.position >= size;
  }

  /** The head bytes the file had are no longer there: it was truncated and written again. */
  #headChanged(t: Tracked, size: number): boolean {
    if (t.fingerprint.bytes === 0 || size < t.fingerprint.bytes) return false;
    return !sameHead(t.fd, t.fingerprint);
  }

  /** A rotated file read to its end: its last line may lack a newline, it is complete all the same. */
  #finish(t: Tracked, now: number, out: (record: LogRecord, path: string) => void): void {
    const emit = (record: LogRecord): void => {
      t.committed = record.end;
      out(record, t.path);
    };
    t.splitter.finish((line) => {
      const start = t.lineStart;
      t.lineStart = line.end;
      t.joiner.push(line, start, now, emit);
    });
    t.joiner.flush(emit);
    closeSync(t.fd);
  }
}
