/** One limit: at most `maxFailures` failed sign-ins per key within `windowMs`. */
export interface ThrottleLimit {
  readonly maxFailures: number;
  readonly windowMs: number;
}

/** Per source address: slows one client guessing. */
export const ADDRESS_LIMIT: ThrottleLimit = { maxFailures: 10, windowMs: 5 * 60_000 };
/** Per account: slows guessing one user's password from many addresses. */
export const ACCOUNT_LIMIT: ThrottleLimit = { maxFailures: 20, windowMs: 15 * 60_000 };

export type LoginAdmission =
  | { readonly admitted: true; readonly attempt: LoginAttempt }
  | { readonly admitted: false; readonly retryAfterSeconds: number };

export interface LoginAttempt {
  /** The password was right: the attempt no longer counts, and the address's and account's failures are cleared. */
  succeeded(): void;
  /** The password was wrong: the attempt stays counted as a failure. */
  failed(): void;
}

/**
 * Slows password guessing at `POST /api/sessions`, per source address and per account.
 * `admit` counts the attempt as a failure at once, before the password is checked, so parallel
 * attempts cannot all pass the check while the first ones are still hashing: of any number sent
 * at once, at most the limit are tried. A success takes its attempt back and clears both keys.
 * In memory and per process.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #address: ThrottleLimit;
  readonly #account: ThrottleLimit;
  readonly #now: () => number;

  constructor(options: { address?: ThrottleLimit; account?: ThrottleLimit; now?: () => number } = {}) {
    this.#address = options.address ?? ADDRESS_LIMIT;
    this.#account = options.account ?? ACCOUNT_LIMIT;
    this.#now = options.now ?? Date.now;
  }

  /** Synchronous: the check and the count happen in one step. */
  admit(address: string, username: string): LoginAdmission {
    const keys: [string, ThrottleLimit][] = [
      [`address ${address}`, this.#address],
      [`account ${username.toLowerCase()}`, this.#account],
    ];
    const now = this.#now();
    let wait = 0;
    for (const [key, limit] of keys) {
      const recent = this.#recent(key, limit, now);
      if (recent.length >= limit.maxFailures) {
        wait = Math.max(wait, Math.max(1, Math.ceil((recent[0]! + limit.windowMs - now) / 1000)));
      }
    }
    if (wait > 0) return { admitted: false, retryAfterSeconds: wait };
    for (const [key, limit] of keys) {
      const recent = this.#recent(key, limit, now);
      recent.push(now);
      this.#failures.set(key, recent);
    }
    this.#bound(now);
    let settled = false;
    return {
      admitted: true,
      attempt: {
        succeeded: () => {
          if (settled) return;
          settled = true;
          for (const [key] of keys) this.#failures.delete(key);
        },
        failed: () => {
          settled = true;
        },
      },
    };
  }

  #recent(key: string, limit: ThrottleLimit, now: number): number[] {
    const since = now - limit.windowMs;
    return (this.#failures.get(key) ?? []).filter((t) => t > since);
  }

  /** Keys that stopped failing are forgotten once their window passed, so the table stays bounded. */
  #bound(now: number): void {
    if (this.#failures.size <= 10_000) return;
    const longest = Math.max(this.#address.windowMs, this.#account.windowMs);
    for (const [key, times] of this.#failures) {
      if (times.every((t) => t <= now - longest)) this.#failures.delete(key);
    }
  }
}
