/**
 * Slows password guessing at `POST /api/sessions`: after `maxFailures` failed logins from one
 * address within `windowMs`, further attempts from it are refused (429) until the window passes.
 * In memory and per process; a success clears the address.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the address may try again, or 0 when it may try now. */
  retryAfterSeconds(address: string): number {
    const recent = this.#recent(address);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.windowMs - this.now()) / 1000));
  }

  failed(address: string): void {
    const recent = this.#recent(address);
    recent.push(this.now());
    this.#failures.set(address, recent);
    // Bound the table: an address that stopped trying is forgotten once its window passed.
    if (this.#failures.size > 10_000) {
      for (const key of this.#failures.keys()) if (this.#recent(key).length === 0) this.#failures.delete(key);
    }
  }

  succeeded(address: string): void {
    this.#failures.delete(address);
  }

  #recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.#failures.get(address) ?? []).filter((t) => t > since);
  }
}
