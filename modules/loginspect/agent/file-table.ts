import { closeSync, fstatSync, readSync } from 'node:fs';
import type { MultilineSettings } from '../engine/log-sources.js';
import { FINGERPRINT_BYTES, type FileCheckpoint, type Fingerprint, fingerprintOf, sameHead } from './file-identity.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type SplitLine } from './line-splitter.js';
import { type LogRecord, MultilineJoiner } from './multiline.js';

/** How the files of one source are read. */
export interface ReadOptions {
  readonly multiline?: MultilineSettings;
  /** Bytes read per file per poll at most; the rest waits for the next poll. Default 4 MiB. */
  readonly maxBytesPerPoll?: number;
  readonly maxLineBytes?: number;
  /** How long a rotated (renamed or deleted) file is still read for late writes. Default 5 s. */
  readonly rotatedGraceMs?: number;
}

/** A file source as the table sees it. */
export interface FileOwner {
  /** The configured entry (path or glob) the owner stands for. */
  readonly key: string;
  /** Its place in the configured list: of several sources matching one file, the lowest rank reads it. */
  readonly rank: number;
  readonly options: ReadOptions;
}

export interface Tracked {
  path: string;
  fd: number;
  readonly dev: number;
  readonly ino: number;
  readonly splitter: LineSplitter;
  joiner: MultilineJoiner;
  /** Offset of the first byte of the next line the splitter will complete. */
  lineStart: number;
  /** End of the last record handed out. */
  committed: number;
  fingerprint: Fingerprint;
  lastSize: number;
  /** When the file left every path its owner matches (rotated away or deleted); drained, then closed. */
  goneSince: number | undefined;
  owner: FileOwner;
}

/**
 * Takes one record of a file. Returning `false` says it was not taken (the event spool cannot
 * store now): reading stops for this poll and the next one starts again at this record.
 */
export type RecordSink = (record: LogRecord, path: string, file: Tracked) => unknown;

export function fileId(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

const READ_CHUNK = 1024 * 1024;
const readBuffer = Buffer.alloc(READ_CHUNK);

/**
 * Every file the file sources of one configuration follow, keyed by device and inode, so that a
 * file several sources match (a path and a glob, two globs, a path reached through a link) is
 * read once: by the source listed first among those matching it, with that source's settings.
 * Reading is done here, over all files at once, rotated ones first so that the lines a rotated
 * file still holds come before those of its successor, whichever source follows each.
 */
export class FileTable {
  readonly files = new Map<string, Tracked>();
  /** Saved checkpoints of each source not yet matched to an open file (just after a restart). */
  readonly #saved = new Map<FileOwner, readonly FileCheckpoint[]>();
  /** A record was not taken during this read(): nothing more is read until the next one. */
  #blocked = false;

  /** The last read() stopped at a record that was not taken. */
  get blocked(): boolean {
    return this.#blocked;
  }

  setSaved(owner: FileOwner, checkpoints: readonly FileCheckpoint[]): void {
    if (checkpoints.length === 0) this.#saved.delete(owner);
    else this.#saved.set(owner, checkpoints);
  }

  savedOf(owner: FileOwner): readonly FileCheckpoint[] {
    return this.#saved.get(owner) ?? [];
  }

  /** A checkpoint saved for this file by any source: the configuration may have changed which one follows it. */
  saved(dev: number, ino: number): FileCheckpoint | undefined {
    for (const list of this.#saved.values()) {
      const found = list.find((c) => c.dev === dev && c.ino === ino);
      if (found) return found;
    }
    return undefined;
  }

  /** Starts following an open file at `start`. */
  add(owner: FileOwner, path: string, fd: number, dev: number, ino: number, start: number): Tracked {
    const size = fstatSync(fd).size;
    const maxLineBytes = owner.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const tracked: Tracked = {
      path,
      fd,
      dev,
      ino,
      splitter: new LineSplitter(start, maxLineBytes),
      joiner: new MultilineJoiner(owner.options.multiline, maxLineBytes),
      lineStart: start,
      committed: start,
      fingerprint: fingerprintOf(fd, size),
      lastSize: size,
      goneSince: undefined,
      owner,
    };
    this.files.set(fileId(dev, ino), tracked);
    return tracked;
  }

  /**
   * Hands a file over to another source, keeping where it stands. When the multi-line settings
   * differ, the record being joined is passed on first and the new settings apply from the next line.
   */
  transfer(t: Tracked, owner: FileOwner, out: RecordSink): void {
    if (JSON.stringify(t.owner.options.multiline) !== JSON.stringify(owner.options.multiline)) {
      t.joiner.flush(this.#emitter(t, out));
      t.joiner = new MultilineJoiner(owner.options.multiline, owner.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    }
    t.owner = owner;
  }

  owned(owner: FileOwner): Tracked[] {
    return [...this.files.values()].filter((t) => t.owner === owner);
  }

  /** Closes and forgets the files of one source. */
  close(owner: FileOwner): void {
    for (const [id, t] of this.files)
      if (t.owner === owner) {
        closeSync(t.fd);
        this.files.delete(id);
      }
    this.#saved.delete(owner);
  }

  /** Reads what every file gained since the last poll; `out` gets each record in file order. */
  read(now: number, out: RecordSink): void {
    this.#blocked = false;
    // Rotated files first, so the lines they still hold come before those of their successor.
    const unfinished = new Set<string>();
    for (const [id, tracked] of this.files) {
      if (tracked.goneSince === undefined) continue;
      const atEnd = this.#read(tracked, now, out);
      if (this.#blocked) return;
      if (!atEnd) unfinished.add(tracked.path);
      else if (now - tracked.goneSince >= (tracked.owner.options.rotatedGraceMs ?? 5000)) {
        if (!this.#finish(tracked, now, out)) return;
        this.files.delete(id);
      }
    }
    for (const tracked of this.files.values()) {
      if (tracked.goneSince === undefined && !unfinished.has(tracked.path)) this.#read(tracked, now, out);
      if (this.#blocked) return;
    }
  }

  #emitter(t: Tracked, out: RecordSink): (record: LogRecord) => void {
    return (record) => {
      if (this.#blocked) return;
      if (out(record, t.path, t) === false) this.#blocked = true;
      else t.committed = record.end;
    };
  }

  /** A record was not taken: forget what was read past the last record taken, to read it again. */
  #rewind(t: Tracked): void {
    t.splitter.reset(t.committed);
    t.lineStart = t.committed;
    t.joiner = new MultilineJoiner(t.owner.options.multiline, t.owner.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  }

  /** Reads new bytes of one file; true when it is read to its current end. */
  #read(t: Tracked, now: number, out: RecordSink): boolean {
    const emit = this.#emitter(t, out);
    const onLine = (line: SplitLine): void => {
      if (this.#blocked) return;
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
    if (size < t.splitter.position || (size !== t.lastSize && headChanged(t, size))) {
      // Truncated (or truncated and rewritten past where we were): start over from 0. Complete
      // lines already joined are passed on; the unfinished line's bytes are gone.
      t.joiner.flush(emit);
      this.#blocked = false; // the flushed record's bytes are gone: it cannot be read again
      t.splitter.reset(0);
      t.lineStart = 0;
      t.committed = 0;
      t.fingerprint = { bytes: 0, hash: fingerprintOf(t.fd, 0).hash };
    }
    t.lastSize = size;
    if (t.fingerprint.bytes < FINGERPRINT_BYTES && size > t.fingerprint.bytes)
      t.fingerprint = fingerprintOf(t.fd, size);
    let budget = t.owner.options.maxBytesPerPoll ?? 4 * 1024 * 1024;
    while (budget > 0 && t.splitter.position < size && !this.#blocked) {
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
    if (this.#blocked) {
      this.#rewind(t);
      return false;
    }
    return t.splitter.position >= size;
  }

  /**
   * A rotated file read to its end: its last line may lack a newline, it is complete all the same.
   * False when its last record was not taken: the file stays open, to be finished later.
   */
  #finish(t: Tracked, now: number, out: RecordSink): boolean {
    const emit = this.#emitter(t, out);
    t.splitter.finish((line) => {
      const start = t.lineStart;
      t.lineStart = line.end;
      t.joiner.push(line, start, now, emit);
    });
    t.joiner.flush(emit);
    if (this.#blocked) {
      this.#rewind(t);
      return false;
    }
    closeSync(t.fd);
    return true;
  }
}

/** The head bytes the file had are no longer there: it was truncated and written again. */
function headChanged(t: Tracked, size: number): boolean {
  if (t.fingerprint.bytes === 0 || size < t.fingerprint.bytes) return false;
  return !sameHead(t.fd, t.fingerprint);
}
