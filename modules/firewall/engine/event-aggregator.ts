import type { LogReason, LogVerdict } from './log-prefix.js';
import type { PacketMeta } from './packet-parser.js';

/**
 * The rule a logged packet names, resolved from the table that logged it when the packet was
 * read: `id` is absent when that table is no longer known (the name then says so).
 */
export interface LoggedRule {
  readonly id?: string;
  readonly name: string;
}

/** One logged packet as the agent hands it to the aggregator. */
export interface PacketRecord {
  readonly reason: LogReason;
  readonly verdict: LogVerdict;
  readonly direction: 'incoming' | 'outgoing';
  readonly interface?: string;
  readonly packet: PacketMeta;
  /** Set when `reason` is a rule: the rule of the table that logged the packet. */
  readonly rule?: LoggedRule;
  /** When the kernel logged the packet (ms since the epoch); absent when the kernel gave no time. */
  readonly kernelTimeMs?: number;
}

export interface AggregatedRecord {
  readonly first: PacketRecord;
  readonly count: number;
  readonly bytes: number;
  /** Time of the first and last packet: the kernel's where it gave one, else when the agent read it. */
  readonly firstMs: number;
  readonly lastMs: number;
  /** Where firstMs comes from. */
  readonly timeSource: 'kernel' | 'agent';
}

interface Entry {
  first: PacketRecord;
  count: number;
  bytes: number;
  firstMs: number;
  lastMs: number;
  timeSource: 'kernel' | 'agent';
  /** When the agent opened the window (its own clock): the window closes windowMs later. */
  openedMs: number;
}

function reasonKey(record: PacketRecord): string {
  if (record.reason.kind !== 'rule') return record.reason.kind;
  return record.rule?.id !== undefined ? `rule:${record.rule.id}` : `rule?:${record.rule?.name ?? record.reason.index}`;
}

/**
 * Folds repeats of the same logged flow into one record with a count, so a flood becomes one
 * event per window instead of one per packet. The key leaves out the source port, which a flood
 * usually varies. Bounded: past maxKeys, new flows of the same reason share one overflow record.
 */
export class EventAggregator {
  readonly #entries = new Map<string, Entry>();

  readonly #windowMs: number;
  readonly #maxKeys: number;

  constructor(windowMs: number, maxKeys = 10_000) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  /** `nowMs` is the agent's clock; the packet's own time is `record.kernelTimeMs` when the kernel gave one. */
  add(record: PacketRecord, nowMs: number): void {
    const p = record.packet;
    const reason = reasonKey(record);
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
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxKeys) key = `${reason}|${record.verdict}|overflow`;
    const timeMs = record.kernelTimeMs ?? nowMs;
    const entry = this.#entries.get(key);
    if (entry) {
      entry.count++;
      entry.bytes += p.length;
      entry.firstMs = Math.min(entry.firstMs, timeMs);
      entry.lastMs = Math.max(entry.lastMs, timeMs);
    } else {
      this.#entries.set(key, {
        first: record,
        count: 1,
        bytes: p.length,
        firstMs: timeMs,
        lastMs: timeMs,
        timeSource: record.kernelTimeMs !== undefined ? 'kernel' : 'agent',
        openedMs: nowMs,
      });
    }
  }

  /** Records whose window has closed (all of them with `all`), removed from the aggregator. */
  flush(nowMs: number, all = false): AggregatedRecord[] {
    const out: AggregatedRecord[] = [];
    for (const [key, entry] of this.#entries) {
      if (all || nowMs - entry.openedMs >= this.#windowMs) {
        const { openedMs: _, ...record } = entry;
        out.push(record);
        this.#entries.delete(key);
      }
    }
    return out;
  }

  get pending(): number {
    return this.#entries.size;
  }
}
