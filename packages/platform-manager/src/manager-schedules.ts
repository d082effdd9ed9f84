import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { asClusterDuty } from './cluster-duty.js';
import type { Services } from './http/service-types.js';
import type { Database } from './storage/schema.js';

const DAY_MS = 86_400_000;

export interface Schedule {
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs`, one run at a time (a slow run is not overlapped, the tick is
 * skipped); a failure is logged and the next tick tries again. `stop()` waits for a run in flight.
 */
export function every(
  intervalMs: number,
  name: string,
  log: FastifyBaseLogger,
  work: () => Promise<void>,
  options: { runNow?: boolean; clusterDb?: Kysely<Database> } = {},
): Schedule {
  const { clusterDb } = options;
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running !== null) return;
    running = (async () => {
      try {
        // In a cluster one node at a time does the work; the others skip their tick.
        if (clusterDb === undefined) await work();
        else await asClusterDuty(clusterDb, name, work);
      } catch (error) {
        log.error({ err: error }, `${name} failed`);
      } finally {
        running = null;
      }
    })();
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  if (options.runNow === true) tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Missed heartbeats → `Offline` + an alert (services.alerts.checkOffline). */
export function offlineCheck(
  services: Services,
  intervalMs: number,
  log: FastifyBaseLogger,
  clusterDb?: Kysely<Database>,
): Schedule {
  return every(
    intervalMs,
    'offline check',
    log,
    async () => {
      const offline = await services.alerts.checkOffline();
      if (offline.length > 0) log.warn({ computerIds: offline }, 'computers went offline');
    },
    clusterDb === undefined ? {} : { clusterDb },
  );
}

/** Deletes events older than `retentionDays` (by event time), at start and then hourly; 0 keeps everything. */
export function eventRetention(
  services: Services,
  retentionDays: number,
  log: FastifyBaseLogger,
  now: () => number,
  clusterDb?: Kysely<Database>,
): Schedule {
  if (retentionDays <= 0) return { stop: async () => {} };
  return every(
    3_600_000,
    'event retention',
    log,
    async () => {
      const before = new Date(now() - retentionDays * DAY_MS).toISOString();
      const result = await services.events.deleteOlderThan(before);
      if (!result.ok) throw new Error(result.error.message);
      const { deleted, droppedPartitions } = result.value;
      if (deleted > 0 || droppedPartitions !== undefined)
        log.info({ deleted, droppedPartitions, before }, 'old events deleted');
    },
    { runNow: true, ...(clusterDb === undefined ? {} : { clusterDb }) },
  );
}

/**
 * PostgreSQL: makes the coming days' event partitions, at start and then hourly, on one node at a
 * time; ingest makes a missing day itself too, but then waits for the CREATE TABLE.
 */
export function eventPartitionUpkeep(
  services: Services,
  log: FastifyBaseLogger,
  clusterDb: Kysely<Database>,
): Schedule {
  return every(
    3_600_000,
    'event partition upkeep',
    log,
    async () => {
      const created = await services.events.prepareDays();
      if (created.length > 0) log.info({ created }, 'event partitions made');
    },
    { runNow: true, clusterDb },
  );
}
