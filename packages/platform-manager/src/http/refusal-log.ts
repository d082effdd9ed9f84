import type { FastifyBaseLogger } from 'fastify';

/**
 * Logs refusals (bad client certificates, failed TLS handshakes, connections over a limit)
 * without letting a flood of them flood the log: the first of each kind in a window is logged
 * at once with its details, the rest are counted and the count rides on the next line logged.
 */
export class RefusalLog {
  readonly #log: FastifyBaseLogger;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #kinds = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(log: FastifyBaseLogger, windowMs = 10_000, now: () => number = Date.now) {
    this.#log = log;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  note(kind: string, fields: Record<string, unknown>): void {
    const now = this.#now();
    const seen = this.#kinds.get(kind);
    if (seen !== undefined && now - seen.lastAt < this.#windowMs) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.#kinds.set(kind, { lastAt: now, suppressed: 0 });
    if (this.#kinds.size > 1_000) this.#kinds.clear();
    this.#log.warn({ ...fields, ...(suppressed > 0 ? { alikeNotLogged: suppressed } : {}) }, kind);
  }
}
