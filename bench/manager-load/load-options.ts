import { parseArgs } from 'node:util';

export interface LoadOptions {
  readonly agents: number;
  readonly durationSeconds: number;
  readonly store: 'sqlite' | 'postgres';
  /** Server where the throwaway database is created (postgres store). */
  readonly databaseUrl: string;
  readonly eventsPerSecondTarget: number;
  readonly batchSize: number;
  /** How many of the agents send event batches. */
  readonly eventAgents: number;
  readonly heartbeatIntervalSeconds: number;
  /** Every agent also holds a wake long-poll open, as real agents do. */
  readonly wake: boolean;
  readonly activationConcurrency: number;
  /** Start from an empty manager (and activate every agent again) instead of reusing bench/out. */
  readonly fresh: boolean;
  readonly json: boolean;
  /** Manager nodes on one PostgreSQL database, agents spread over them (1 = the single-node run). */
  readonly nodes: number;
  /** Kill (SIGKILL) the last node half-way through the window. */
  readonly killNode: boolean;
}

export const USAGE = `Usage: npm run bench:manager -- [options]

  --agents N                    simulated agents, each with its own client certificate (default 1000)
  --duration S                  seconds of measured load after the warm-up (default 120)
  --store sqlite|postgres       the manager's database (default sqlite)
  --database-url URL            PostgreSQL server for the throwaway database
                                (default postgres://postgres@127.0.0.1:5432/postgres)
  --events-per-second-target R  event ingest rate offered (default 5000; 0 = none)
  --batch-size N                events per upload (default 500, at most 1000)
  --event-agents N              agents that upload events (default 50)
  --heartbeat-interval S        seconds between one agent's heartbeats (default 60)
  --wake                        every agent also holds a wake long-poll open
  --activation-concurrency N    parallel activations (default 16)
  --fresh                       new manager data and new agent certificates
  --nodes N                     manager nodes on one PostgreSQL database (1-5, default 1; >1 needs
                                --store postgres): agents spread over them, each fails over to the others
  --kill-node                   with --nodes: kill the last node (SIGKILL) half-way through the window
  --json                        print the result as JSON`;

export type Parsed = { ok: true; options: LoadOptions } | { ok: false; message: string };

function integer(text: string | undefined, fallback: number, name: string, min: number, max: number): number | string {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    return `--${name} must be a whole number from ${min} to ${max}`;
  return value;
}

export function parseLoadOptions(argv: readonly string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        agents: { type: 'string' },
        duration: { type: 'string' },
        store: { type: 'string' },
        'database-url': { type: 'string' },
        'events-per-second-target': { type: 'string' },
        'batch-size': { type: 'string' },
        'event-agents': { type: 'string' },
        'heartbeat-interval': { type: 'string' },
        wake: { type: 'boolean' },
        'activation-concurrency': { type: 'string' },
        fresh: { type: 'boolean' },
        json: { type: 'boolean' },
        nodes: { type: 'string' },
        'kill-node': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  if (values.help === true) return { ok: false, message: USAGE };
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const numbers = {
    agents: integer(str('agents'), 1000, 'agents', 1, 50_000),
    durationSeconds: integer(str('duration'), 120, 'duration', 5, 3600),
    eventsPerSecondTarget: integer(str('events-per-second-target'), 5000, 'events-per-second-target', 0, 1_000_000),
    batchSize: integer(str('batch-size'), 500, 'batch-size', 1, 1000),
    eventAgents: integer(str('event-agents'), 50, 'event-agents', 1, 50_000),
    heartbeatIntervalSeconds: integer(str('heartbeat-interval'), 60, 'heartbeat-interval', 1, 3600),
    activationConcurrency: integer(str('activation-concurrency'), 16, 'activation-concurrency', 1, 256),
    nodes: integer(str('nodes'), 1, 'nodes', 1, 5),
  };
  for (const value of Object.values(numbers)) if (typeof value === 'string') return { ok: false, message: value };
  const store = str('store') ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') return { ok: false, message: '--store must be sqlite or postgres' };
  const databaseUrl = str('database-url') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const host = new URL(databaseUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
    return { ok: false, message: '--database-url must point at this machine (127.0.0.1)' };
  }
  const n = numbers as Record<keyof typeof numbers, number>;
  if (n.nodes > 1 && store !== 'postgres') return { ok: false, message: '--nodes above 1 needs --store postgres' };
  if (values['kill-node'] === true && n.nodes < 2) return { ok: false, message: '--kill-node needs --nodes 2 or more' };
  return {
    ok: true,
    options: {
      ...n,
      eventAgents: Math.min(n.eventAgents, n.agents),
      store,
      databaseUrl,
      wake: values.wake === true,
      fresh: values.fresh === true,
      json: values.json === true,
      killNode: values['kill-node'] === true,
    },
  };
}
