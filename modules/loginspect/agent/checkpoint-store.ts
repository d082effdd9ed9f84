import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeIssues, parseWith } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { FileCheckpoint } from './file-identity.js';

/** Everything the agent must remember to continue reading where it stopped. */
export const SourceCheckpoints = Type.Object(
  {
    version: Type.Literal(1),
    /** Per configured file source (its path or glob): one entry per file followed. */
    files: Type.Record(Type.String(), Type.Array(FileCheckpoint, { maxItems: 10_000 })),
    /** The journal cursor of the last entry handed to the spool. */
    journalCursor: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type SourceCheckpoints = Static<typeof SourceCheckpoints>;

export const EMPTY_CHECKPOINTS: SourceCheckpoints = { version: 1, files: {} };

/**
 * Checkpoints in one JSON file of the module's state directory, replaced atomically (temporary
 * file, fsync, rename, fsync of the directory) so that a crash leaves the old or the new one.
 * The write is skipped when nothing changed.
 */
export class CheckpointStore {
  readonly path: string;
  #last = '';

  constructor(dataDir: string) {
    this.path = join(dataDir, 'source-checkpoints.json');
  }

  /** The saved checkpoints; a missing file is a first start, a damaged one is reported. */
  load(): { checkpoints: SourceCheckpoints; problem?: string } {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: EMPTY_CHECKPOINTS };
      return { checkpoints: EMPTY_CHECKPOINTS, problem: `cannot read ${this.path}: ${(error as Error).message}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return {
        checkpoints: EMPTY_CHECKPOINTS,
        problem: `${this.path} is not JSON (${(error as Error).message}); reading starts afresh`,
      };
    }
    const parsed = parseWith(SourceCheckpoints, json);
    if (!parsed.ok)
      return {
        checkpoints: EMPTY_CHECKPOINTS,
        problem: `${this.path}: ${describeIssues(parsed.issues)}; reading starts afresh`,
      };
    this.#last = text;
    return { checkpoints: parsed.value };
  }

  /** Writes the checkpoints if they changed; throws on an I/O error (the caller reports it). */
  save(checkpoints: SourceCheckpoints): void {
    const text = JSON.stringify(checkpoints);
    if (text === this.#last) return;
    writeAtomically(this.path, text);
    this.#last = text;
  }
}

function writeAtomically(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.source-checkpoints.${process.pid}.tmp`);
  const fd = openSync(temporary, 'w', 0o600);
  try {
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
