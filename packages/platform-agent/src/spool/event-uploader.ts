import { AgentRoutes, EventBatchAck, MAX_EVENTS_PER_BATCH } from '@bulwark/protocol';
import { backoffDelay } from '../channel/backoff.js';
import type { ManagerChannel } from '../channel/manager-channel.js';
import { WakeableDelay } from '../daemon/wakeable-delay.js';
import type { AgentLogger } from '../log/json-logger.js';
import type { EventSpool } from './event-spool.js';

export interface UploaderOptions {
  readonly spool: EventSpool;
  readonly channel: ManagerChannel;
  readonly log: AgentLogger;
  /** Gathers events emitted close together into one batch. */
  readonly lingerMs?: number;
  /** Even without new events, looks at the spool this often (events left by a failed upload). */
  readonly idleMs?: number;
  readonly onContact?: () => void;
}

/**
 * Sends spooled events in seq order, one batch at a time, and deletes a batch only once the
 * manager acknowledged it. A failed upload leaves the batch in place and is retried with backoff;
 * the manager deduplicates on (computer, seq), so a batch sent twice is stored once.
 */
export class EventUploader {
  readonly #options: UploaderOptions;
  /** Wait between uploads: new events cut it short. */
  readonly #delay = new WakeableDelay();
  /** Wait after a failure: new events do not cut it short (that would hammer a manager that is down), news that the manager answers again does. */
  readonly #backoff = new WakeableDelay();
  #stopped = false;
  #failures = 0;
  #batchLimit = MAX_EVENTS_PER_BATCH;
  #loop: Promise<void> | null = null;
  #controller = new AbortController();
  #uploaded = 0;

  constructor(options: UploaderOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** New events are in the spool. */
  kick(): void {
    this.#delay.wake();
  }

  /** Another call just reached the manager: end a backoff now rather than at its end. */
  managerReachable(): void {
    if (this.#failures === 0) return;
    this.#failures = 0;
    this.#backoff.wake();
  }

  get uploadedEvents(): number {
    return this.#uploaded;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#controller.abort();
    this.#delay.wake();
    this.#backoff.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let outcome: 'empty' | 'failed';
      try {
        outcome = await this.#drain();
      } catch (error) {
        // E.g. the spool's disk failing: retry later rather than end the upload loop.
        this.#options.spool.release();
        this.#options.log.error('event upload loop error', { error: (error as Error).message });
        outcome = 'failed';
      }
      if (this.#stopped) break;
      if (outcome === 'failed') {
        this.#failures++;
        await this.#backoff.wait(backoffDelay(this.#failures, 1000, 60_000));
      } else {
        this.#failures = 0;
        await this.#delay.wait(this.#options.idleMs ?? 30_000);
        if (!this.#stopped) await new Promise((r) => setTimeout(r, this.#options.lingerMs ?? 100));
      }
    }
  }

  /** Sends batches until the spool is empty or a send fails. */
  async #drain(): Promise<'empty' | 'failed'> {
    const { spool, channel, log } = this.#options;
    while (!this.#stopped) {
      const batch = spool.nextBatch(this.#batchLimit);
      const last = batch.at(-1);
      if (!last) return 'empty';
      const result = await channel.call('POST', AgentRoutes.events.path, { events: batch }, EventBatchAck, {
        timeoutMs: 60_000,
        signal: this.#controller.signal,
      });
      if (result.ok) {
        spool.acknowledge(last.seq);
        this.#uploaded += batch.length;
        this.#batchLimit = Math.min(MAX_EVENTS_PER_BATCH, this.#batchLimit * 2);
        this.#options.onContact?.();
        log.debug('events uploaded', {
          count: batch.length,
          throughSeq: last.seq,
          duplicates: result.value.duplicates,
        });
        continue;
      }
      spool.release();
      if (result.status === 400 || result.status === 413 || result.status === 422) {
        // The manager refuses this batch for good. Halve it until the one bad event is alone,
        // then drop that event so it cannot hold back every event after it.
        if (batch.length > 1) {
          this.#batchLimit = Math.max(1, Math.floor(batch.length / 2));
          continue;
        }
        log.error('manager refused an event; dropping it', { seq: last.seq, reason: result.message });
        spool.discard(last.seq);
        continue;
      }
      log.warn('event upload failed; will retry', { reason: result.message, pending: spool.counters().pendingEvents });
      return 'failed';
    }
    return 'empty';
  }
}
