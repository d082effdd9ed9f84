import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileHash } from '../engine/index.js';
import type { Inspection } from './file-inspector.js';
import type { InspectRequest, WorkerReply, WorkerTask } from './hash-worker.js';

interface Pending {
  resolve(results: readonly Inspection[]): void;
  reject(error: Error): void;
  task: WorkerTask;
  urgent: boolean;
}

interface Slot {
  worker: Worker;
  busy: Pending | undefined;
}

/**
 * A fixed set of worker threads that lstat, open and hash files, so hashing uses every core and
 * a slow disk read never blocks the agent's event loop. Each worker starts from a small .mjs
 * entry that registers tsx (see hash-worker-entry.mjs).
 */
export class HashPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    const count = size > 0 ? size : Math.max(1, availableParallelism());
    for (let i = 0; i < count; i++) this.#slots.push(this.#spawn());
  }

  get size(): number {
    return this.#slots.length;
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./hash-worker-entry.mjs', import.meta.url));
    const slot: Slot = { worker, busy: undefined };
    worker.on('message', (reply: WorkerReply) => {
      const pending = slot.busy;
      slot.busy = undefined;
      if (pending && pending.task.id === reply.id) pending.resolve(reply.results);
      this.#dispatch();
    });
    worker.on('error', (error) => this.#replace(slot, error));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#replace(slot, new Error(`hash worker exited with code ${code}`));
    });
    worker.unref();
    return slot;
  }

  /** A crashed worker fails only its own batch; a fresh worker takes its place. */
  #replace(slot: Slot, error: Error): void {
    if (this.#closed) return;
    const index = this.#slots.indexOf(slot);
    if (index < 0) return;
    slot.busy?.reject(error);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    this.#slots[index] = this.#spawn();
    this.#dispatch();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.busy) continue;
      const next = this.#queue.shift();
      if (!next) return;
      slot.busy = next;
      slot.worker.ref();
      slot.worker.postMessage(next.task);
    }
    for (const slot of this.#slots) if (!slot.busy) slot.worker.unref();
  }

  /**
   * Queues a batch. An urgent batch (a real-time check) goes before the queued batches of a
   * scan, so it waits at most for the batches the workers already hold.
   */
  inspect(
    hashes: readonly FileHash[],
    requests: readonly InspectRequest[],
    urgent = false,
  ): Promise<readonly Inspection[]> {
    if (this.#closed) return Promise.reject(new Error('hash pool is closed'));
    if (requests.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject, task: { id: this.#nextId++, hashes, requests }, urgent };
      if (!urgent) this.#queue.push(pending);
      else {
        // After earlier urgent batches, before every scan batch.
        const firstNormal = this.#queue.findIndex((p) => !p.urgent);
        this.#queue.splice(firstNormal < 0 ? this.#queue.length : firstNormal, 0, pending);
      }
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#queue.splice(0)) p.reject(new Error('hash pool is closed'));
    await Promise.all(
      this.#slots.map((s) => {
        s.busy?.reject(new Error('hash pool is closed'));
        return s.worker.terminate();
      }),
    );
  }
}
