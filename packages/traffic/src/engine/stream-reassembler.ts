/**
 * One direction of a TCP connection put back in order. Sequence numbers are 32-bit and wrap; the
 * reassembler works in stream offsets (bytes since the first sequence number it saw), widening
 * each segment's sequence number relative to the next expected offset.
 *
 * Overlap policy: FIRST WINS. Bytes the reassembler has already taken (delivered, or held out of
 * order) are never replaced by a later segment covering the same offsets; a later segment only
 * fills holes. This is BSD's and Suricata's "first" policy. Linux receivers keep the first copy of
 * in-order data as well; for out-of-order overlaps that disagree, a receiver with another policy
 * could see other bytes than the engine did, so disagreeing overlaps are counted
 * (`overlapConflicts`) for the inspector and the operator to see.
 *
 * Bounds: at most `maxBytes` and `maxSegments` held out of order. When a new segment would exceed
 * them, the hole before the first held segment is given up: the stream jumps over it (`gap`) and
 * what was held is delivered. Gaps are counted; the consumer learns of each one.
 */

export interface ReassemblyLimits {
  readonly maxBytes: number;
  readonly maxSegments: number;
}

export interface ReassemblyCounters {
  retransmittedBytes: number;
  overlapConflicts: number;
  gaps: number;
  gapBytes: number;
}

/** What one segment made available: contiguous new bytes, each piece preceded by a gap or not. */
export interface ReassembledPiece {
  /** Stream offset of the first byte. */
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** Bytes skipped just before this piece (0 = contiguous with what came before). */
  readonly gapBefore: number;
}

interface Held {
  offset: number;
  bytes: Uint8Array;
}

export class StreamReassembler {
  readonly #limits: ReassemblyLimits;
  #started = false;
  /** Sequence number of stream offset 0. */
  #baseSeq = 0;
  /** Next stream offset expected. */
  #next = 0;
  /** Out-of-order segments, sorted by offset, not overlapping each other. */
  #held: Held[] = [];
  #heldBytes = 0;
  /** Counters, possibly shared by many reassemblers (the engine's totals). */
  readonly counters: ReassemblyCounters;

  constructor(limits: ReassemblyLimits, counters?: ReassemblyCounters) {
    this.#limits = limits;
    this.counters = counters ?? { retransmittedBytes: 0, overlapConflicts: 0, gaps: 0, gapBytes: 0 };
  }

  /** Starts the stream at this sequence number (the SYN's seq + 1); ignored once started. */
  start(seq: number): void {
    if (this.#started) return;
    this.#started = true;
    this.#baseSeq = seq >>> 0;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Offset of the next byte expected. */
  get nextOffset(): number {
    return this.#next;
  }

  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Stream offset of a sequence number, widened around the next expected offset. */
  offsetOf(seq: number): number {
    const nextSeq = (this.#baseSeq + this.#next) >>> 0;
    return this.#next + (((seq >>> 0) - nextSeq) | 0);
  }

  /** Takes one segment's payload; returns what became contiguous (in order). */
  push(seq: number, payload: Uint8Array): ReassembledPiece[] {
    if (!this.#started) this.start(seq);
    if (payload.length === 0) return [];
    let offset = this.offsetOf(seq);
    let bytes = payload;
    if (offset < this.#next) {
      const already = Math.min(this.#next - offset, bytes.length);
      this.counters.retransmittedBytes += already;
      bytes = bytes.subarray(already);
      offset += already;
      if (bytes.length === 0) return [];
    }
    if (offset === this.#next && this.#held.length === 0) {
      // The common case: in order, nothing held. No copy; the piece is a view valid during the call.
      this.#next += bytes.length;
      return [{ offset, bytes, gapBefore: 0 }];
    }
    this.#hold(offset, bytes);
    return this.#release();
  }

  /** Gives up the hole before the held data (the connection is ending, or a bound was hit). */
  flush(): ReassembledPiece[] {
    return this.#release(true);
  }

  /** Bytes at the current position will never be seen (cut off by the copy range): jump over them. */
  skip(length: number): void {
    if (length <= 0) return;
    this.counters.gaps++;
    this.counters.gapBytes += length;
    this.#next += length;
  }

  /** Forgets everything held (the flow is being evicted). */
  clear(): void {
    this.#held = [];
    this.#heldBytes = 0;
  }

  /** Inserts the parts of [offset, offset+len) not already held (first wins). */
  #hold(offset: number, bytes: Uint8Array): void {
    const end = offset + bytes.length;
    const pieces: Held[] = [];
    let cursor = offset;
    for (const h of this.#held) {
      const hEnd = h.offset + h.bytes.length;
      if (hEnd <= cursor) continue;
      if (h.offset >= end) break;
      if (h.offset > cursor) pieces.push({ offset: cursor, bytes: bytes.subarray(cursor - offset, h.offset - offset) });
      const overlapStart = Math.max(cursor, h.offset);
      const overlapEnd = Math.min(end, hEnd);
      if (
        !sameBytes(
          bytes.subarray(overlapStart - offset, overlapEnd - offset),
          h.bytes.subarray(overlapStart - h.offset, overlapEnd - h.offset),
        )
      )
        this.counters.overlapConflicts++;
      else this.counters.retransmittedBytes += overlapEnd - overlapStart;
      cursor = Math.max(cursor, hEnd);
      if (cursor >= end) break;
    }
    if (cursor < end) pieces.push({ offset: cursor, bytes: bytes.subarray(cursor - offset) });
    for (const p of pieces) {
      // Copy: the caller's buffer (a queue batch) is reused once its packets are answered.
      const kept = { offset: p.offset, bytes: Uint8Array.from(p.bytes) };
      const at = this.#held.findIndex((h) => h.offset > p.offset);
      if (at < 0) this.#held.push(kept);
      else this.#held.splice(at, 0, kept);
      this.#heldBytes += kept.bytes.length;
    }
  }

  #release(force = false): ReassembledPiece[] {
    const out: ReassembledPiece[] = [];
    const over = () => this.#heldBytes > this.#limits.maxBytes || this.#held.length > this.#limits.maxSegments;
    for (;;) {
      const first = this.#held[0];
      if (first === undefined) break;
      let gapBefore = 0;
      if (first.offset > this.#next) {
        if (!force && !over()) break;
        gapBefore = first.offset - this.#next;
        this.counters.gaps++;
        this.counters.gapBytes += gapBefore;
      }
      this.#held.shift();
      this.#heldBytes -= first.bytes.length;
      const skip = Math.max(0, this.#next - first.offset);
      const bytes = first.bytes.subarray(skip);
      if (bytes.length > 0) {
        out.push({ offset: first.offset + skip, bytes, gapBefore });
        this.#next = first.offset + skip + bytes.length;
      }
    }
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
