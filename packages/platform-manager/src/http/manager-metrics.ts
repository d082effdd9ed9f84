import type { FastifyInstance } from 'fastify';
import type { ConnectionCounters } from './connection-guard.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Histogram {
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** Label values in the Prometheus text format: backslash, quote and newline escaped. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  const inner = Object.entries(pairs)
    .map(([k, v]) => `${k}="${labelValue(v)}"`)
    .join(',');
  return inner === '' ? '' : `{${inner}}`;
}

/**
 * The manager's own measurements, served at `GET /metrics` in the Prometheus text format.
 * Request labels use the route pattern (not the URL), so their number stays bounded.
 */
export class ManagerMetrics {
  readonly #requests = new Map<string, { labels: Record<string, string>; count: number }>();
  readonly #durations = new Map<string, { labels: Record<string, string>; histogram: Histogram }>();
  readonly #events = { accepted: 0, duplicate: 0 };
  readonly #deferred = { quota: 0, concurrent: 0 };
  readonly #connections = new Map<string, ConnectionCounters>();

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
    const requestLabels = { server, method, route, status: String(status) };
    const key = JSON.stringify(requestLabels);
    const counted = this.#requests.get(key) ?? { labels: requestLabels, count: 0 };
    counted.count++;
    this.#requests.set(key, counted);

    const durationLabels = { server, method, route };
    const durationKey = JSON.stringify(durationLabels);
    const timed = this.#durations.get(durationKey) ?? {
      labels: durationLabels,
      histogram: { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 },
    };
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) timed.histogram.buckets[i]!++;
    });
    timed.histogram.sum += seconds;
    timed.histogram.count++;
    this.#durations.set(durationKey, timed);
  }

  eventsIngested(accepted: number, duplicates: number): void {
    this.#events.accepted += accepted;
    this.#events.duplicate += duplicates;
  }

  /** An event upload answered 429: the agent keeps the batch and retries. */
  uploadDeferred(reason: 'quota' | 'concurrent'): void {
    this.#deferred[reason]++;
  }

  render(gauges: { version: string; wakePolls: number; computers: Readonly<Record<string, number>> | null }): string {
    const out: string[] = [];
    out.push('# HELP bulwark_manager_info The manager build.', '# TYPE bulwark_manager_info gauge');
    out.push(`bulwark_manager_info${labels({ version: gauges.version })} 1`);

    out.push('# HELP bulwark_http_requests_total Requests answered, by listener, route and status.');
    out.push('# TYPE bulwark_http_requests_total counter');
    for (const { labels: l, count } of this.#requests.values())
      out.push(`bulwark_http_requests_total${labels(l)} ${count}`);

    out.push('# HELP bulwark_http_request_duration_seconds Time to answer, by listener and route.');
    out.push('# TYPE bulwark_http_request_duration_seconds histogram');
    for (const { labels: l, histogram } of this.#durations.values()) {
      DURATION_BUCKETS.forEach((le, i) => {
        out.push(
          `bulwark_http_request_duration_seconds_bucket${labels({ ...l, le: String(le) })} ${histogram.buckets[i]}`,
        );
      });
      out.push(`bulwark_http_request_duration_seconds_bucket${labels({ ...l, le: '+Inf' })} ${histogram.count}`);
      out.push(`bulwark_http_request_duration_seconds_sum${labels(l)} ${histogram.sum}`);
      out.push(`bulwark_http_request_duration_seconds_count${labels(l)} ${histogram.count}`);
    }

    out.push('# HELP bulwark_events_received_total Agent events received: stored, or duplicates of stored ones.');
    out.push('# TYPE bulwark_events_received_total counter');
    out.push(`bulwark_events_received_total{result="accepted"} ${this.#events.accepted}`);
    out.push(`bulwark_events_received_total{result="duplicate"} ${this.#events.duplicate}`);

    out.push('# HELP bulwark_event_uploads_deferred_total Event uploads answered 429 (kept by the agent, retried).');
    out.push('# TYPE bulwark_event_uploads_deferred_total counter');
    for (const [reason, count] of Object.entries(this.#deferred)) {
      out.push(`bulwark_event_uploads_deferred_total${labels({ reason })} ${count}`);
    }

    out.push('# HELP bulwark_connections_closed_total Connections closed by the guard: over a limit, or idle.');
    out.push('# TYPE bulwark_connections_closed_total counter');
    for (const [listener, counters] of this.#connections) {
      out.push(`bulwark_connections_closed_total${labels({ listener, reason: 'limit' })} ${counters.refused}`);
      out.push(`bulwark_connections_closed_total${labels({ listener, reason: 'idle' })} ${counters.idleClosed}`);
    }

    out.push('# HELP bulwark_agent_wake_polls Wake long-polls agents hold open now.');
    out.push('# TYPE bulwark_agent_wake_polls gauge');
    out.push(`bulwark_agent_wake_polls ${gauges.wakePolls}`);

    if (gauges.computers !== null) {
      out.push('# HELP bulwark_computers Computers by status.');
      out.push('# TYPE bulwark_computers gauge');
      for (const [status, count] of Object.entries(gauges.computers)) {
        out.push(`bulwark_computers${labels({ status })} ${count}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
