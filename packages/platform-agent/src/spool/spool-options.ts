import type { Severity, SourceCheckpoint } from '@bulwark/protocol';

// The event spool's limits, commit options and counters, and their defaults.

export interface SpoolLimits {
  /** platform.eventSpoolMaxEvents: the most events kept on disk, the drop notice included. */
  readonly maxEvents: number;
  /** platform.minimumEventSeverity: less severe events are counted, not spooled. */
  readonly minimumSeverity: Severity;
}

export interface SpoolCounters {
  readonly pendingEvents: number;
  readonly droppedEvents: number;
  readonly clippedEvents: number;
  readonly invalidEvents: number;
  readonly lastSeq: number;
}

/** A source's checkpoints to commit with an event (see SourceSpool in the module contract). */
export interface EmitCheckpoints {
  readonly module: string;
  readonly checkpoints: readonly SourceCheckpoint[];
}

/**
 * How events reach the disk. `batched` (the default) commits emitted events together, in one
 * transaction and one fsync, once `maxBatchEvents` are waiting or `flushDelayMs` after the first
 * of them, and before anything reads the spool; `per-event` commits each emit() on its own (one
 * fsync each: slow, kept for comparison and for callers that want it).
 */
export interface SpoolCommitOptions {
  readonly commit: 'batched' | 'per-event';
  readonly maxBatchEvents: number;
  readonly flushDelayMs: number;
  /** A timed flush failed (e.g. disk full); the events stay waiting and the flush is retried. */
  readonly onFlushError: (error: Error) => void;
}

export const DEFAULT_LIMITS: SpoolLimits = { maxEvents: 100_000, minimumSeverity: 'info' };
export const DEFAULT_COMMIT: SpoolCommitOptions = {
  commit: 'batched',
  maxBatchEvents: 500,
  flushDelayMs: 20,
  onFlushError: (error) => process.emitWarning(`event spool flush failed, will retry: ${error.message}`),
};
