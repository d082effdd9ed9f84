/**
 * The manager's side of the long-poll wake channel: agents hold `GET /agent/v1/wake` open, and
 * anything that wants a computer to heartbeat now (a configuration change, the API's wake call)
 * calls `wake(ids)`. A wake for a computer that is between polls is remembered until its next
 * poll or heartbeat, so it is never lost in that gap. In memory, per manager process.
 */
export class WakeHub {
  readonly #waiters = new Map<string, Set<(woken: boolean) => void>>();
  readonly #pending = new Set<string>();
  #closed = false;

  /**
   * Resolves true when the computer is woken, false at the timeout, when `signal` aborts (the
   * agent went away) or when the hub closes.
   */
  wait(computerId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#pending.delete(computerId)) return Promise.resolve(true);
    if (this.#closed || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let waiters = this.#waiters.get(computerId);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(computerId, waiters);
      }
      const set = waiters;
      const finish = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        set.delete(finish);
        if (set.size === 0 && this.#waiters.get(computerId) === set) this.#waiters.delete(computerId);
        resolve(woken);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(finish);
    });
  }

  #relay: ((computerIds: readonly string[], request?: string) => void) | null = null;
  /** Questions "is its agent listening on your node?" sent to the other nodes, by request id. */
  readonly #questions = new Map<string, { readonly ids: Set<string>; readonly answer: () => void }>();
  #nextQuestion = 0;

  /**
   * Where wakes also go so other manager nodes sharing the database hear them (see
   * wake-relay-postgres.ts); they come back in through `wakeLocal`. A wake sent with a request id
   * is answered through `listening` by the nodes that hold a poll for it.
   */
  relayTo(publish: ((computerIds: readonly string[], request?: string) => void) | null): void {
    this.#relay = publish;
  }

  /** Asks these computers for a heartbeat now, on this node and, through the relay, on the others. */
  wake(computerIds: Iterable<string>): void {
    const ids = [...computerIds];
    this.wakeLocal(ids);
    if (ids.length > 0) this.#relay?.(ids);
  }

  /**
   * Wakes one computer everywhere and says whether its agent was listening on any node: at once
   * when this node holds its poll, else when another node says it does, else false after
   * `answerMs` (nodes that hold no poll do not answer).
   */
  async wakeAndConfirm(computerId: string, answerMs: number): Promise<boolean> {
    const here = this.wakeLocal([computerId]).length > 0;
    const relay = this.#relay;
    if (here || relay === null) {
      relay?.([computerId]);
      return here;
    }
    const request = `q${++this.#nextQuestion}`;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), answerMs);
      const finish = (listening: boolean) => {
        clearTimeout(timer);
        this.#questions.delete(request);
        resolve(listening);
      };
      this.#questions.set(request, { ids: new Set([computerId]), answer: () => finish(true) });
      relay([computerId], request);
    });
  }

  /** Another node holds polls for these computers, in answer to `request`. */
  listening(request: string, computerIds: readonly string[]): void {
    const question = this.#questions.get(request);
    if (question !== undefined && computerIds.some((id) => question.ids.has(id))) question.answer();
  }

  /** Wakes polls held on this node only; returns the computers whose poll was here. */
  wakeLocal(computerIds: Iterable<string>): string[] {
    const woken: string[] = [];
    for (const id of computerIds) {
      const waiters = this.#waiters.get(id);
      if (waiters === undefined || waiters.size === 0) {
        this.#pending.add(id);
        continue;
      }
      woken.push(id);
      for (const finish of [...waiters]) finish(true);
    }
    return woken;
  }

  /** The computer just heartbeated: whatever wake was pending for it is served. */
  served(computerId: string): void {
    this.#pending.delete(computerId);
  }

  waiting(computerId: string): number {
    return this.#waiters.get(computerId)?.size ?? 0;
  }

  /** Polls held open across all computers. */
  totalWaiting(): number {
    let total = 0;
    for (const waiters of this.#waiters.values()) total += waiters.size;
    return total;
  }

  /** Answers every open poll (not woken) so the server can shut down without waiting for timeouts. */
  close(): void {
    this.#closed = true;
    for (const waiters of [...this.#waiters.values()]) for (const finish of [...waiters]) finish(false);
  }
}
