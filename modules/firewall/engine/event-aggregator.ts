import type { LogReason, LogVerdict } from './log-prefix.js';
import type { PacketMeta } from './packet-parser.js';

/** One logged packet as the agent hands it to the aggregator. */
export interface PacketRecord {
  readonly reason: LogReason;
  readonly verdict: LogVerdict;
  readonly direction: 'incoming' | 'outgoing';
  readonly interface?: string;
  readonly packet: PacketMeta;
}

export interface AggregatedRecord {
  readonly first: PacketRecord;
  readonly count: number;
  readonly bytes: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

interface Entry {
  first: PacketRecord;
  count: number;
  bytes: number;
  firstMs: number;
  lastMs: number;
}

/**
 * Folds repeats of the same logged flow into one record with a count, so a flood becomes one
 * event per window instead of one per packet. The key leaves out the source port, which a flood
 * usually varies. Bounded: past maxKeys, new flows of the same reason share one overflow record.
 */
export class EventAggregator {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  add(record: PacketRecord, nowMs: number): void {
    const p = record.packet;
    const reason = record.reason.kind === 'rule' ? `rule:${record.reason.index}` : record.reason.kind;
    let key = [
      reason,
      record.verdict,
      record.direction,
      record.interface,
      p.protocol,
      p.source,
      p.destination,
      p.destinationPort,
    ].join('|');
    if (!this.entries.has(key) && this.entries.size >= this.maxKeys) key = `${reason}|${record.verdict}|overflow`;
    const entry = this.entries.get(key);
    if (entry) {
      entry.count++;
      entry.bytes += p.length;
      entry.lastMs = nowMs;
    } else {
      this.entries.set(key, { first: record, count: 1, bytes: p.length, firstMs: nowMs, lastMs: nowMs });
    }
  }

  /** Records whose window has closed (all of them with `all`), removed from the aggregator. */
  flush(nowMs: number, all = false): AggregatedRecord[] {
    const out: AggregatedRecord[] = [];
    for (const [key, entry] of this.entries) {
      if (all || nowMs - entry.firstMs >= this.windowMs) {
        out.push({ ...entry });
        this.entries.delete(key);
      }
    }
    return out;
  }

  get pending(): number {
    return this.entries.size;
  }
}
