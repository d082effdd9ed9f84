/**
 * Per-computer upload quotas on the agent port: two token buckets (events and body bytes) per
 * computer, refilled at a steady rate up to a burst. An upload is let in while both buckets hold
 * something and is charged afterwards, so one large batch may take a bucket below zero; the
 * computer then waits until it refills. The answer is 429 with Retry-After, which the agent
 * treats as "keep the batch in the spool and try later": nothing is lost, the flood is slowed.
 * In memory and per manager node: nodes sharing PostgreSQL each apply the quota to what they get.
 */
export interface AgentQuotaRates {
  readonly eventsPerSecond: number;
  readonly eventBurst: number;
  readonly bytesPerSecond: number;
  readonly byteBurst: number;
}

/** About ten times a busy host's steady event rate; a full spool (100,000 events) drains in under two minutes. */
export const DEFAULT_AGENT_QUOTA: AgentQuotaRates = {
  eventsPerSecond: 1_000,
  eventBurst: 20_000,
  bytesPerSecond: 1_048_576,
  byteBurst: 16 * 1_048_576,
};

interface Buckets {
  events: number;
  bytes: number;
  at: number;
}

/** Computers remembered at most; full buckets are forgotten first (they equal a fresh one). */
const MAX_TRACKED = 50_000;

export class AgentQuota {
  readonly #rates: AgentQuotaRates;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Buckets>();
  #refused = 0;

  constructor(rates: AgentQuotaRates = DEFAULT_AGENT_QUOTA, now: () => number = Date.now) {
    this.#rates = rates;
    this.#now = now;
  }

  /** Seconds the computer must wait before its next upload; 0 when it may upload now. */
  retryAfterSeconds(computerId: string): number {
    const buckets = this.#refill(computerId);
    const waits = [
      buckets.events > 0 ? 0 : (1 - buckets.events) / this.#rates.eventsPerSecond,
      buckets.bytes > 0 ? 0 : (1 - buckets.bytes) / this.#rates.bytesPerSecond,
    ];
    const wait = Math.max(...waits);
    if (wait === 0) return 0;
    this.#refused++;
    return Math.max(1, Math.ceil(wait));
  }

  /** What an upload cost, once it was read (bytes) and stored (events). */
  charge(computerId: string, events: number, bytes: number): void {
    const buckets = this.#refill(computerId);
    buckets.events -= events;
    buckets.bytes -= bytes;
  }

  /** Uploads answered "retry later" since the start. */
  get refused(): number {
    return this.#refused;
  }

  #refill(computerId: string): Buckets {
    const now = this.#now();
    let buckets = this.#buckets.get(computerId);
    if (buckets === undefined) {
      if (this.#buckets.size >= MAX_TRACKED) this.#forgetFull(now);
      buckets = { events: this.#rates.eventBurst, bytes: this.#rates.byteBurst, at: now };
      this.#buckets.set(computerId, buckets);
      return buckets;
    }
    const seconds = Math.max(0, now - buckets.at) / 1000;
    buckets.events = Math.min(this.#rates.eventBurst, buckets.events + seconds * this.#rates.eventsPerSecond);
    buckets.bytes = Math.min(this.#rates.byteBurst, buckets.bytes + seconds * this.#rates.bytesPerSecond);
    buckets.at = now;
    return buckets;
  }

  #forgetFull(now: number): void {
    for (const [id, b] of this.#buckets) {
      const seconds = Math.max(0, now - b.at) / 1000;
      const full =
        b.events + seconds * this.#rates.eventsPerSecond >= this.#rates.eventBurst &&
        b.bytes + seconds * this.#rates.bytesPerSecond >= this.#rates.byteBurst;
      if (full) this.#buckets.delete(id);
    }
  }
}
