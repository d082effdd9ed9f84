/** A FIFO lock built on a promise chain: `acquire` resolves with the function that releases it. */
class Lock {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

/**
 * Orders the module's work on the baseline. Heavy work (applying a configuration, building a
 * baseline, exporting, stopping) runs alone. A scan runs alone among heavy work but lets
 * real-time path checks run between its steps: a scan of /usr takes tens of seconds, and a
 * change to /etc/shadow must not wait for it. Path checks run one at a time among themselves.
 *
 * Two locks, always taken in the same order (work, then checks), so nothing can deadlock:
 * - heavy work holds both for its whole run;
 * - a scan holds the work lock for its run and the checks lock only until the path check that
 *   was running when it started has finished (so every check that can overlap the scan starts
 *   after the scan, and the scan can tell which paths were checked meanwhile);
 * - a path check holds only the checks lock.
 */
export class WorkGate {
  readonly #work = new Lock();
  readonly #checks = new Lock();

  /** Runs work with nothing else touching the baseline. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const releaseWork = await this.#work.acquire();
    try {
      const releaseChecks = await this.#checks.acquire();
      try {
        return await work();
      } finally {
        releaseChecks();
      }
    } finally {
      releaseWork();
    }
  }

  /**
   * Runs a scan alone among heavy work; path checks may run while it does. `begin` is called
   * once no path check is running, before any can start, so the scan can start recording them.
   */
  async scan<T>(begin: () => void, work: () => Promise<T>): Promise<T> {
    const releaseWork = await this.#work.acquire();
    try {
      const releaseChecks = await this.#checks.acquire();
      try {
        begin();
      } finally {
        releaseChecks();
      }
      return await work();
    } finally {
      releaseWork();
    }
  }

  /** Runs a real-time path check: after any running check, and never during heavy work. */
  async pathCheck<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.#checks.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}
