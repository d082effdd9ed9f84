import { type MultilineSettings, multilineRegExp } from '../engine/log-sources.js';
import type { SplitLine } from './line-splitter.js';

/** One log record: a line, or several joined by a space. */
export interface LogRecord {
  readonly text: string;
  /** Byte offset just after the record's last line: reading resumes there once it is handled. */
  readonly end: number;
  readonly truncated: boolean;
}

interface Pending {
  parts: string[];
  lines: number;
  chars: number;
  /** Offset of the record's first byte: nothing past it may be checkpointed while it waits. */
  start: number;
  end: number;
  truncated: boolean;
  since: number;
}

export const MULTILINE_DEFAULTS = { maxLines: 100, timeoutMs: 3000 } as const;

/**
 * Joins continuation lines into one record (Filebeat-like `pattern`/`match`/`negate`). Without
 * settings each line is its own record. A record waiting for more lines is passed on after
 * `timeoutMs` of quiet, or at `maxLines`, or when its text reaches `maxChars`.
 */
export class MultilineJoiner {
  readonly #pattern: RegExp | undefined;
  readonly #after: boolean;
  readonly #negate: boolean;
  readonly #maxLines: number;
  readonly #timeoutMs: number;
  readonly #maxChars: number;
  #pending: Pending | undefined;

  constructor(settings: MultilineSettings | undefined, maxChars: number) {
    this.#pattern = settings ? multilineRegExp(settings.pattern) : undefined;
    this.#after = settings?.match !== 'before';
    this.#negate = settings?.negate ?? false;
    this.#maxLines = settings?.maxLines ?? MULTILINE_DEFAULTS.maxLines;
    this.#timeoutMs = settings?.timeoutMs ?? MULTILINE_DEFAULTS.timeoutMs;
    this.#maxChars = maxChars;
  }

  /** Offset of the first byte of a waiting record, if one waits. */
  get pendingStart(): number | undefined {
    return this.#pending?.start;
  }

  /** `start` is the offset of the line's first byte. */
  push(line: SplitLine, start: number, now: number, out: (record: LogRecord) => void): void {
    const pattern = this.#pattern;
    if (!pattern) {
      out(line);
      return;
    }
    const matched = pattern.test(line.text) !== this.#negate;
    if (this.#after) {
      if (!matched || !this.#pending) this.flush(out);
      this.#add(line, start, now);
      if ((this.#pending?.lines ?? 0) >= this.#maxLines) this.flush(out);
      return;
    }
    this.#add(line, start, now);
    if (!matched || (this.#pending?.lines ?? 0) >= this.#maxLines) this.flush(out);
  }

  /** Passes on a record that has waited `timeoutMs` for more lines. */
  flushIfStale(now: number, out: (record: LogRecord) => void): void {
    if (this.#pending && now - this.#pending.since >= this.#timeoutMs) this.flush(out);
  }

  flush(out: (record: LogRecord) => void): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    out({ text: p.parts.join(' '), end: p.end, truncated: p.truncated });
  }

  /** Drops a waiting record whose bytes are gone (the file was truncated under it). */
  discard(): void {
    this.#pending = undefined;
  }

  #add(line: SplitLine, start: number, now: number): void {
    let p = this.#pending;
    if (!p) {
      p = { parts: [], lines: 0, chars: 0, start, end: line.end, truncated: false, since: now };
      this.#pending = p;
    }
    p.end = line.end;
    p.since = now;
    p.truncated ||= line.truncated;
    p.lines++;
    const room = this.#maxChars - p.chars - (p.parts.length > 0 ? 1 : 0);
    if (room <= 0) {
      p.truncated = true;
      return;
    }
    const text = line.text.length > room ? line.text.slice(0, room) : line.text;
    if (text.length < line.text.length) p.truncated = true;
    p.parts.push(text);
    p.chars += text.length + (p.parts.length > 1 ? 1 : 0);
  }
}
