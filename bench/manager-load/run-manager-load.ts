// The manager load benchmark: N simulated agents with real mutual TLS against one manager in a
// child process, on SQLite or PostgreSQL. See docs/performance.md. Run: npm run bench:manager -- --help
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { activateAgents, loadIdentities } from './agent-fleet.js';
import { runAgentLoad } from './agent-load.js';
import { runClusterLoad } from './cluster-load.js';
import { formatClusterReport } from './cluster-report.js';
import { callJson } from './https-call.js';
import { type LoadOptions, parseLoadOptions } from './load-options.js';
import type { ManagerReady } from './manager-process.js';
import { cpuPressure, cpuSecondsOf, loadAverage, rssMegabytesOf } from './process-usage.js';
import { formatReport } from './report.js';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'bench', 'out', 'manager-load');
const BENCH_DATABASE = 'bulwark_bench_manager_load';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The throwaway database of the postgres run, reused between runs with the cached agents. */
async function preparePostgres(options: LoadOptions): Promise<{ url: string; created: boolean }> {
  const client = new pg.Client({ connectionString: options.databaseUrl });
  let created = false;
  await client.connect();
  try {
    if (options.fresh) await client.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DATABASE]);
    created = exists.rowCount === 0;
    if (created) await client.query(`CREATE DATABASE ${BENCH_DATABASE}`);
  } finally {
    await client.end();
  }
  const url = new URL(options.databaseUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return { url: url.href, created };
}

function startManagerProcess(
  dataDir: string,
  databaseUrl: string | null,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; ready: ManagerReady }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'manager-process.ts'), dataDir, databaseUrl ?? '-', 'warn'],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env },
  );
  return new Promise((done, failed) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      failed(new Error('the manager did not start within 120 s'));
    }, 120_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        done({ child, ready: JSON.parse(line.slice(6)) as ManagerReady });
      } else if (line.trim() !== '') log(`  manager: ${line.slice(0, 300)}`);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      failed(new Error(`the manager exited with code ${code}`));
    });
  });
}

async function stopManagerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** The manager's own view after the run: computers by status. */
async function statusCounts(ready: ManagerReady): Promise<Record<string, number>> {
  const agent = new https.Agent({ ca: ready.caCertPem, keepAlive: true, maxSockets: 1 });
  const counts: Record<string, number> = {};
  let cursor: string | null = null;
  for (let page = 0; page < 200; page++) {
    const url = new URL('/api/computers', ready.consoleUrl);
    url.searchParams.set('limit', '500');
    if (cursor !== null) url.searchParams.set('cursor', cursor);
    const answer = await callJson(agent, url, 'GET', { authorization: `Bearer ${ready.apiKey}` }, undefined, 60_000);
    if (!answer.ok) {
      counts[`error ${answer.kind}`] = 1;
      break;
    }
    const body = answer.body as { items: { status: string }[]; nextCursor: string | null };
    for (const c of body.items) counts[c.status] = (counts[c.status] ?? 0) + 1;
    cursor = body.nextCursor;
    if (cursor === null) break;
  }
  agent.destroy();
  return counts;
}

async function main(): Promise<number> {
  const parsed = parseLoadOptions(process.argv.slice(2));
  if (!parsed.ok) {
    log(parsed.message);
    return parsed.message.startsWith('Usage') ? 0 : 2;
  }
  const options = parsed.options;
  const cacheDir = join(OUT, options.store);
  if (options.fresh) await rm(cacheDir, { recursive: true, force: true });
  await mkdir(join(cacheDir, 'data'), { recursive: true, mode: 0o700 });
  let databaseUrl: string | null = null;
  if (options.store === 'postgres') {
    const database = await preparePostgres(options);
    databaseUrl = database.url;
    // Agents cached for a database that is gone (dropped by hand) would only fail: activate anew.
    if (database.created) await rm(join(cacheDir, 'identities.jsonl'), { force: true });
  }

  if (options.nodes > 1) return runCluster(options, cacheDir, databaseUrl as string);
  log(
    `manager-load: ${options.agents} agents, ${options.durationSeconds} s, ${options.store}, offering ${options.eventsPerSecondTarget} events/s`,
  );
  const loadBefore = loadAverage();
  const { child, ready } = await startManagerProcess(join(cacheDir, 'data'), databaseUrl);
  try {
    let identities = await loadIdentities(cacheDir);
    let activation = null;
    if (identities.length < options.agents) {
      const missing = options.agents - identities.length;
      log(`activating ${missing} agents (${identities.length} cached)…`);
      const activated = await activateAgents(
        ready,
        cacheDir,
        identities.length,
        missing,
        options.activationConcurrency,
        (n) => log(`  activated ${n}/${missing}`),
      );
      activation = activated.report;
      identities = [...identities, ...activated.identities];
    }
    identities = identities.slice(0, options.agents);
    log(`connecting ${identities.length} agents, then ${options.durationSeconds} s of load…`);
    let cpuAtStart: number | null = null;
    let cpuAtEnd: number | null = null;
    const generatorCpu = { start: process.cpuUsage(), end: process.cpuUsage() };
    const result = await runAgentLoad(ready, identities, options, log, {
      started() {
        cpuAtStart = cpuSecondsOf(ready.pid);
        generatorCpu.start = process.cpuUsage();
      },
      ended() {
        cpuAtEnd = cpuSecondsOf(ready.pid);
        generatorCpu.end = process.cpuUsage(generatorCpu.start);
      },
    });
    const managerRssMb = rssMegabytesOf(ready.pid);
    const managerCpuSeconds: number | null =
      cpuAtStart === null || cpuAtEnd === null ? null : Math.round((cpuAtEnd - cpuAtStart) * 100) / 100;
    const statuses = await statusCounts(ready);
    const seconds = result.window.seconds;
    const report = {
      options,
      machine: {
        cpus: availableParallelism(),
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAverage(),
        cpuPressure: cpuPressure(),
      },
      activation,
      ...result,
      manager: {
        cpuPercentInWindow: managerCpuSeconds === null ? null : Math.round((managerCpuSeconds / seconds) * 100),
        cpuSecondsInWindow: managerCpuSeconds,
        // Machine-independent cost figures: what one second of manager CPU time handles.
        eventsPerCpuSecond: managerCpuSeconds ? Math.round(result.events.accepted / managerCpuSeconds) : null,
        heartbeatsPerCpuSecond: managerCpuSeconds ? Math.round(result.heartbeats.count / managerCpuSeconds) : null,
        rssMb: managerRssMb,
        computersByStatus: statuses,
      },
      generatorCpuPercentInWindow: Math.round(
        ((generatorCpu.end.user + generatorCpu.end.system) / 1e6 / seconds) * 100,
      ),
      at: new Date().toISOString(),
    };
    const file = join(OUT, `result-${options.store}-${options.agents}-${Date.now()}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n(full result: ${file})\n`,
    );
    return 0;
  } finally {
    await stopManagerProcess(child);
  }
}

/** Every node's key to the one CA of the bench cluster (a throwaway secret for a throwaway database). */
const BENCH_CLUSTER_KEY = 'manager-load-bench-cluster-key-0123456789abcdef';

/** --nodes N: N manager processes on one PostgreSQL database, agents spread over them. */
async function runCluster(options: LoadOptions, cacheDir: string, databaseUrl: string): Promise<number> {
  log(
    `manager-load: ${options.agents} agents over ${options.nodes} nodes, ${options.durationSeconds} s, offering ${options.eventsPerSecondTarget} events/s${options.killNode ? ', last node killed half-way' : ''}`,
  );
  const loadBefore = loadAverage();
  const env = { ...process.env, BULWARK_BENCH_CLUSTER_KEY: BENCH_CLUSTER_KEY };
  const started: { child: ChildProcess; ready: ManagerReady }[] = [];
  try {
    // One after the other: the first founds the cluster (or is the single-node run's manager), the others join it.
    for (let i = 0; i < options.nodes; i++)
      started.push(await startManagerProcess(join(cacheDir, i === 0 ? 'data' : `data-node${i}`), databaseUrl, env));
    const nodes = started.map((s) => s.ready);
    let identities = await loadIdentities(cacheDir);
    if (identities.length < options.agents) {
      const missing = options.agents - identities.length;
      log(`activating ${missing} agents (${identities.length} cached)…`);
      const activated = await activateAgents(
        nodes[0] as ManagerReady,
        cacheDir,
        identities.length,
        missing,
        options.activationConcurrency,
        (n) => log(`  activated ${n}/${missing}`),
      );
      identities = [...identities, ...activated.identities];
    }
    identities = identities.slice(0, options.agents);
    const cpuBefore = nodes.map((n) => cpuSecondsOf(n.pid));
    const result = await runClusterLoad(
      nodes,
      identities,
      options,
      log,
      options.killNode
        ? async (index) => {
            started[index]?.child.kill('SIGKILL');
          }
        : null,
    );
    const cpuAfter = nodes.map((n) => cpuSecondsOf(n.pid));
    const stored = await checkStored(databaseUrl, result.sent);
    const report = {
      options,
      machine: { cpus: availableParallelism(), loadAverageBefore: loadBefore, loadAverageAfter: loadAverage() },
      ...result,
      stored,
      nodeCpuSeconds: nodes.map((_, i) => {
        const before = cpuBefore[i];
        const after = cpuAfter[i];
        return before === null || after === null || before === undefined || after === undefined
          ? null
          : Math.round((after - before) * 10) / 10;
      }),
      at: new Date().toISOString(),
    };
    const file = join(OUT, `result-cluster-${options.nodes}-${options.agents}-${Date.now()}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      options.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : `${formatClusterReport(report)}\n(full result: ${file})\n`,
    );
    return stored.lost === 0 && stored.doubled === 0 ? 0 : 1;
  } finally {
    for (const { child } of started) await stopManagerProcess(child);
  }
}

/** What the database holds of the events the agents sent: each (computer, seq) once, none missing. */
async function checkStored(
  databaseUrl: string,
  sent: readonly { computerId: string; firstSeq: number; lastSeq: number }[],
): Promise<{ expected: number; stored: number; lost: number; doubled: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let expected = 0;
  let stored = 0;
  let distinct = 0;
  try {
    for (const { computerId, firstSeq, lastSeq } of sent) {
      if (lastSeq < firstSeq) continue;
      expected += lastSeq - firstSeq + 1;
      const { rows } = await client.query<{ n: string; d: string }>(
        'select count(*) as n, count(distinct seq) as d from events where computer_id = $1 and seq between $2 and $3',
        [computerId, firstSeq, lastSeq],
      );
      stored += Number(rows[0]?.n ?? 0);
      distinct += Number(rows[0]?.d ?? 0);
    }
  } finally {
    await client.end();
  }
  return { expected, stored, lost: expected - distinct, doubled: stored - distinct };
}

process.exitCode = await main();
