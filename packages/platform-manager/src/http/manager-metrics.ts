import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionCounters } from './connection-guard.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What the route reads at scrape time: values the metrics object does not keep itself. */
export interface ScrapeGauges {
  readonly version: string;
  readonly wakePolls: number;
  /** Computers by status; null when counting them would be too slow (left out). */
  readonly computers: Readonly<Record<string, number>> | null;
}

/**
 * The manager's own measurements, served at `GET /metrics` in the Prometheus text format through
 * prom-client, which adds the process's CPU, memory, handles and event-loop lag
 * (`process_*`, `nodejs_*`). Request labels use the route pattern (not the URL), so their number
 * stays bounded. One registry per manager: tests run several in one process.
 */
export class ManagerMetrics {
  readonly #registry = new Registry();
  readonly #connections = new Map<string, ConnectionCounters>();
  #gauges: ScrapeGauges = { version: '', wakePolls: 0, computers: null };
  readonly #requests = new Counter({
    name: 'bulwark_http_requests_total',
    help: 'Requests answered, by listener, route and status.',
    labelNames: ['server', 'method', 'route', 'status'] as const,
    registers: [this.#registry],
  });
  readonly #durations = new Histogram({
    name: 'bulwark_http_request_duration_seconds',
    help: 'Time to answer, by listener and route.',
    labelNames: ['server', 'method', 'route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.#registry],
  });
  readonly #events = new Counter({
    name: 'bulwark_events_received_total',
    help: 'Agent events received: stored, or duplicates of stored ones.',
    labelNames: ['result'] as const,
    registers: [this.#registry],
  });
  readonly #deferred = new Counter({
    name: 'bulwark_event_uploads_deferred_total',
    help: 'Event uploads answered 429 (kept by the agent, retried).',
    labelNames: ['reason'] as const,
    registers: [this.#registry],
  });

  constructor() {
    const registers = [this.#registry];
    // Values owned elsewhere are read when scraped.
    new Gauge({
      name: 'bulwark_manager_info',
      help: 'The manager build.',
      labelNames: ['version'] as const,
      registers,
      collect: () => undefined,
    });
    const connections = this.#connections;
    new Counter({
      name: 'bulwark_connections_closed_total',
      help: 'Connections closed by the guard: over a limit, or idle.',
      labelNames: ['listener', 'reason'] as const,
      registers,
      collect() {
        this.reset();
        for (const [listener, counters] of connections) {
          this.inc({ listener, reason: 'limit' }, counters.refused);
          this.inc({ listener, reason: 'idle' }, counters.idleClosed);
        }
      },
    });
    const scrape = () => this.#gauges;
    new Gauge({
      name: 'bulwark_agent_wake_polls',
      help: 'Wake long-polls agents hold open now.',
      registers,
      collect() {
        this.set(scrape().wakePolls);
      },
    });
    new Gauge({
      name: 'bulwark_computers',
      help: 'Computers by status.',
      labelNames: ['status'] as const,
      registers,
      collect() {
        this.reset();
        for (const [status, count] of Object.entries(scrape().computers ?? {})) this.set({ status }, count);
      },
    });
    // 0 for every outcome from the start, so a rate() over them is defined before the first event.
    for (const result of ['accepted', 'duplicate']) this.#events.inc({ result }, 0);
    for (const reason of ['quota', 'concurrent']) this.#deferred.inc({ reason }, 0);
    collectDefaultMetrics({ register: this.#registry, eventLoopMonitoringPrecision: 20 });
  }

  /** The live counters of a listener's connection guard. */
  connections(listener: 'console' | 'agent', counters: ConnectionCounters): void {
    this.#connections.set(listener, counters);
  }

  /** Counts every answered request of `app` under `server` (console or agent). */
  instrument(app: FastifyInstance, server: 'console' | 'agent'): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
      this.request(server, request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
  }

  request(server: string, method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ server, method, route, status: String(status) });
    this.#durations.observe({ server, method, route }, seconds);
  }

  eventsIngested(accepted: number, duplicates: number): void {
    this.#events.inc({ result: 'accepted' }, accepted);
    this.#events.inc({ result: 'duplicate' }, duplicates);
  }

  /** An event upload answered 429: the agent keeps the batch and retries. */
  uploadDeferred(reason: 'quota' | 'concurrent'): void {
    this.#deferred.inc({ reason });
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  async render(gauges: ScrapeGauges): Promise<string> {
    this.#gauges = gauges;
    const info = this.#registry.getSingleMetric('bulwark_manager_info') as Gauge<'version'> | undefined;
    info?.reset();
    info?.set({ version: gauges.version }, 1);
    return this.#registry.metrics();
  }
}
