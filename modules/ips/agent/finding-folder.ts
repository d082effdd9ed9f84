import type { FlowEndpoints } from '@bulwark/traffic/engine';
import type { IpsFinding } from '../engine/ips-engine-contract.js';

/** One finding as the agent saw it, with the flow and the outcome. */
export interface FindingRecord {
  readonly finding: IpsFinding;
  readonly flow: FlowEndpoints;
  /** The action the event will carry: `Reset`, `Fail-Open: Reset` or `Detect Only: Reset`. */
  readonly action: string;
  readonly timeMs: number;
}

export interface FoldedFinding {
  readonly first: FindingRecord;
  readonly count: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

interface Entry extends FoldedFinding {
  count: number;
  firstMs: number;
  lastMs: number;
  openedMs: number;
}

/**
 * Folds repeats of one attack into one event with a count, as the firewall folds logged packets:
 * same rule, action, client address, server address and port, matched buffer. The client port is
 * left out (each retry opens a new connection). Bounded: past maxKeys, new keys of one rule share
 * an overflow entry, so a flood from many sources cannot grow memory.
 */
export class FindingFolder {
  readonly #entries = new Map<string, Entry>();
  readonly #windowMs: number;
  readonly #maxKeys: number;

  constructor(windowMs: number, maxKeys = 10_000) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  add(record: FindingRecord, nowMs: number): void {
    const { finding, flow } = record;
    const rule = `${finding.ruleId}|${record.action}`;
    let key = [rule, flow.protocol, flow.clientAddress, flow.serverAddress, flow.serverPort, finding.buffer].join('|');
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxKeys) key = `${rule}|overflow`;
    const timeMs = record.timeMs > 0 ? record.timeMs : nowMs;
    const entry = this.#entries.get(key);
    if (entry) {
      entry.count++;
      entry.firstMs = Math.min(entry.firstMs, timeMs);
      entry.lastMs = Math.max(entry.lastMs, timeMs);
      return;
    }
    this.#entries.set(key, { first: record, count: 1, firstMs: timeMs, lastMs: timeMs, openedMs: nowMs });
  }

  /** Entries whose window closed (all with `all`), removed. */
  flush(nowMs: number, all = false): FoldedFinding[] {
    const out: FoldedFinding[] = [];
    for (const [key, entry] of this.#entries) {
      if (!all && nowMs - entry.openedMs < this.#windowMs) continue;
      out.push({ first: entry.first, count: entry.count, firstMs: entry.firstMs, lastMs: entry.lastMs });
      this.#entries.delete(key);
    }
    return out;
  }

  get pending(): number {
    return this.#entries.size;
  }
}
