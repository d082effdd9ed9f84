/** A complete line read from a byte stream. */
export interface SplitLine {
  readonly text: string;
  /** Byte offset in the stream just after this line's newline: where reading resumes after it. */
  readonly end: number;
  /** The line was longer than the cap and was cut (at a character boundary). */
  readonly truncated: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 65_536;

/** Length of `bytes` without a UTF-8 character left incomplete at its end by a cut. */
function wholeCharacters(bytes: Buffer): number {
  const length = bytes.length;
  // The last lead byte (not 10xxxxxx) among the final four bytes, and how long its character is.
  for (let i = length - 1; i >= 0 && i >= length - 4; i--) {
    const byte = bytes[i] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + size > length ? i : length;
  }
  return length;
}

/**
 * Splits a byte stream into lines. Bytes are only decoded once a line is complete, so a UTF-8
 * character split across two reads is decoded whole. A line over `maxLineBytes` keeps its first
 * bytes (cut at a character boundary) and is marked truncated; the rest of it is skipped without
 * being held in memory. `\r\n` endings lose the `\r`.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #parts: Buffer[] = [];
  #held = 0;
  #overflow = false;
  /** Absolute offset of the next byte pushed. */
  #position: number;

  constructor(startOffset = 0, maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.#position = startOffset;
    this.#maxLineBytes = maxLineBytes;
  }

  get position(): number {
    return this.#position;
  }

  /** Bytes of an unfinished line are held. */
  get hasPartial(): boolean {
    return this.#held > 0 || this.#overflow;
  }

  /** Forgets any unfinished line and continues from `offset` (truncation, a new file). */
  reset(offset = 0): void {
    this.#parts = [];
    this.#held = 0;
    this.#overflow = false;
    this.#position = offset;
  }

  push(chunk: Buffer, onLine: (line: SplitLine) => void): void {
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(0x0a, from);
      const to = newline === -1 ? chunk.length : newline;
      if (newline !== -1 && this.#held === 0 && !this.#overflow && to - from <= this.#maxLineBytes) {
        // A whole line inside the chunk: decoded from it directly, as #take would from a copy.
        this.#position += newline + 1 - from;
        const end = to > from && chunk[to - 1] === 0x0d ? to - 1 : to;
        onLine({ text: chunk.toString('utf8', from, end), end: this.#position, truncated: false });
        from = newline + 1;
        continue;
      }
      this.#hold(chunk.subarray(from, to));
      if (newline === -1) {
        this.#position += chunk.length - from;
        return;
      }
      this.#position += newline + 1 - from;
      onLine(this.#take());
      from = newline + 1;
    }
  }

  /** The unfinished line as a line of its own: the stream ended (a rotated file read to its end). */
  finish(onLine: (line: SplitLine) => void): void {
    if (this.hasPartial) onLine(this.#take());
  }

  #hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const room = this.#maxLineBytes - this.#held;
    if (room <= 0 || this.#overflow) {
      this.#overflow = true;
      return;
    }
    if (bytes.length > room) this.#overflow = true;
    // Copied: the caller reuses its read buffer.
    const kept = Buffer.from(bytes.subarray(0, Math.min(room, bytes.length)));
    this.#parts.push(kept);
    this.#held += kept.length;
  }

  #take(): SplitLine {
    let bytes = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#held);
    const truncated = this.#overflow;
    if (truncated) bytes = bytes.subarray(0, wholeCharacters(bytes));
    let length = bytes.length;
    if (!truncated && length > 0 && bytes[length - 1] === 0x0d) length--;
    this.#parts = [];
    this.#held = 0;
    this.#overflow = false;
    return { text: bytes.toString('utf8', 0, length), end: this.#position, truncated };
  }
}
