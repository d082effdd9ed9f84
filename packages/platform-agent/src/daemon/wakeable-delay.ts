/**
 * A delay that something else can cut short: the heartbeat loop sleeps on it and the wake
 * channel, a new inventory or stop() wake it up.
 */
export class WakeableDelay {
  #wake: (() => void) | null = null;
  #pending = false;

  /** Resolves after `ms`, or as soon as wake() is called (also when it was called before). */
  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#wake = null;
        resolve();
      }
      this.#wake = done;
    });
  }

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }
}
