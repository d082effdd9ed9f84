import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Follows log files by polling: new files matching the globs are picked up, reading starts at
 * the end (history is not replayed), rotation (a new inode or a shorter file) restarts at the
 * beginning. Bounded: at most `maxBytesPerPoll` per file per poll, lines cut at `maxLineBytes`.
 */
interface FileState {
  inode: number;
  offset: number;
  partial: string;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
}

export function expandGlobs(patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    if (!/[*?]/.test(p)) {
      out.add(p);
      continue;
    }
    const dir = dirname(p);
    if (/[*?]/.test(dir)) continue;
    const re = globToRegExp(basename(p));
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (re.test(n)) out.add(join(dir, n));
  }
  return [...out].sort();
}

export class LogFollower {
  readonly #files = new Map<string, FileState>();
  readonly #patterns: readonly string[];
  readonly #maxBytesPerPoll: number;
  readonly #maxLineBytes: number;

  constructor(patterns: readonly string[], options: { maxBytesPerPoll?: number; maxLineBytes?: number } = {}) {
    this.#patterns = patterns;
    this.#maxBytesPerPoll = options.maxBytesPerPoll ?? 4 * 1024 * 1024;
    this.#maxLineBytes = options.maxLineBytes ?? 65_536;
  }

  /** Reads what was appended since the last poll and hands each complete line to `onLine`. */
  poll(onLine: (line: string, path: string) => void, fromStart = false): void {
    for (const path of expandGlobs(this.#patterns)) {
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path);
      } catch {
        this.#files.delete(path);
        continue;
      }
      if (!st.isFile()) continue;
      let state = this.#files.get(path);
      if (!state) {
        state = { inode: st.ino, offset: fromStart ? 0 : st.size, partial: '' };
        this.#files.set(path, state);
      }
      if (state.inode !== st.ino || st.size < state.offset) {
        state.inode = st.ino;
        state.offset = 0;
        state.partial = '';
      }
      if (st.size === state.offset) continue;
      const length = Math.min(st.size - state.offset, this.#maxBytesPerPoll);
      const buffer = Buffer.alloc(length);
      let fd: number | undefined;
      try {
        fd = openSync(path, 'r');
        readSync(fd, buffer, 0, length, state.offset);
      } catch {
        continue;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      state.offset += length;
      const lines = (state.partial + buffer.toString('utf8')).split('\n');
      state.partial = (lines.pop() ?? '').slice(0, this.#maxLineBytes);
      for (const line of lines)
        onLine(line.length > this.#maxLineBytes ? line.slice(0, this.#maxLineBytes) : line, path);
    }
  }
}
