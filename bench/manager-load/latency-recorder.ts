/** Latencies of one kind of call, kept whole (runs are bounded) so percentiles are exact. */
export class LatencyRecorder {
  readonly #samples: number[] = [];
  #errors = 0;
  readonly #errorKinds = new Map<string, number>();

  record(ms: number): void {
    if (this.#samples.length < 2_000_000) this.#samples.push(ms);
  }

  error(kind: string): void {
    this.#errors++;
    this.#errorKinds.set(kind, (this.#errorKinds.get(kind) ?? 0) + 1);
  }

  summary() {
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
    return {
      count: sorted.length,
      errors: this.#errors,
      errorKinds: Object.fromEntries(this.#errorKinds),
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: sorted.length === 0 ? null : round(sorted[sorted.length - 1]!),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
