/**
 * Flows keyed by their 5-tuple, whichever way a packet goes. The map's order is the order of last
 * activity (a flow is moved to the end when it sees a packet), so the least recently active flow
 * is the first one: evicted first when a bound is hit, examined first for idle expiry.
 */
import type { DecodedPacket } from './packet-decoder.js';

export function flowKey(p: DecodedPacket): string {
  const a = `${p.sourceAddress}|${p.sourcePort}`;
  const b = `${p.destinationAddress}|${p.destinationPort}`;
  return a < b ? `${p.protocol}|${a}|${b}` : `${p.protocol}|${b}|${a}`;
}

export interface TableEntry {
  lastSeenMs: number;
  /** Idle time after which this flow is forgotten (depends on its state). */
  idleTimeoutMs(): number;
  /** Frees what the flow holds (called on expiry and eviction). */
  release(): void;
}

export class FlowTable<F extends TableEntry> {
  readonly #flows = new Map<string, F>();
  readonly #onRemove: (flow: F) => void;

  /** `onRemove` runs for each flow expired or evicted, before its memory is released. */
  constructor(onRemove: (flow: F) => void = () => {}) {
    this.#onRemove = onRemove;
  }

  get size(): number {
    return this.#flows.size;
  }

  get(key: string): F | undefined {
    return this.#flows.get(key);
  }

  /** Marks the flow as just active (moves it to the end of the eviction order). */
  touch(key: string, flow: F, timeMs: number): void {
    flow.lastSeenMs = Math.max(flow.lastSeenMs, timeMs);
    this.#flows.delete(key);
    this.#flows.set(key, flow);
  }

  add(key: string, flow: F): void {
    this.#flows.set(key, flow);
  }

  delete(key: string): void {
    const flow = this.#flows.get(key);
    if (!flow) return;
    this.#onRemove(flow);
    flow.release();
    this.#flows.delete(key);
  }

  /** Evicts the least recently active flow other than `keep`; false when there is none. */
  evictOldest(keep?: string): boolean {
    for (const key of this.#flows.keys()) {
      if (key === keep) continue;
      this.delete(key);
      return true;
    }
    return false;
  }

  /**
   * Forgets flows idle past their timeout. Looks at most `budget` of the least recently active
   * flows (so one packet never pays for a sweep of the whole table); returns how many went.
   */
  expire(timeMs: number, budget: number): number {
    let expired = 0;
    let looked = 0;
    for (const [key, flow] of this.#flows) {
      if (looked++ >= budget) break;
      if (timeMs - flow.lastSeenMs < flow.idleTimeoutMs()) {
        // Closed flows time out sooner, so a younger flow may still be due: keep looking.
        continue;
      }
      this.delete(key);
      expired++;
    }
    return expired;
  }

  values(): IterableIterator<F> {
    return this.#flows.values();
  }
}
