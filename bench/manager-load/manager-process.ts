// The manager under load, in its own process so that it does not share an event loop (or a CPU
// account) with the load generator. Started by run-manager-load.ts; prints one JSON line when ready
// and stops on SIGTERM or when its parent goes away.
import { defaultListenerLimits, type RunningManager, startManager } from '@bulwark/platform-manager';

const BENCH_ACTOR = { kind: 'system', id: null, name: 'manager-load bench' } as const;

export interface ManagerReady {
  readonly consoleUrl: string;
  readonly agentUrl: string;
  readonly caCertPem: string;
  readonly apiKey: string;
  readonly pid: number;
}

const [dataDir, databaseUrl, logLevel] = process.argv.slice(2);
if (dataDir === undefined) {
  process.stderr.write('usage: manager-process.ts DATA_DIR [DATABASE_URL|-] [LOG_LEVEL]\n');
  process.exit(2);
}

// The whole simulated fleet connects from 127.0.0.1: lift the per-address cap to the port's share.
const limits = defaultListenerLimits();
const connectionLimits = {
  ...limits,
  agent: { ...limits.agent, maxConnectionsPerAddress: limits.agent.maxConnections },
};

let manager: RunningManager;
try {
  manager = await startManager({
    dataDir,
    ...(databaseUrl === undefined || databaseUrl === '-' ? {} : { databaseUrl }),
    consolePort: 0,
    agentPort: 0,
    listenAddress: '127.0.0.1',
    logger: { level: logLevel ?? 'warn' },
    connectionLimits,
    // Several nodes on one database (run-cluster-load.ts) share the CA through the cluster key.
    ...(process.env.BULWARK_BENCH_CLUSTER_KEY ? { clusterKey: process.env.BULWARK_BENCH_CLUSTER_KEY } : {}),
  });
} catch (error) {
  process.stderr.write(`manager did not start: ${(error as Error).stack}\n`);
  process.exit(1);
}

const key = await manager.services.apiKeys.create({ name: `bench-${Date.now()}`, role: 'administrator' }, BENCH_ACTOR);
if (!key.ok) {
  process.stderr.write(`could not create the bench API key: ${key.error.message}\n`);
  await manager.stop();
  process.exit(1);
}
const ready: ManagerReady = {
  consoleUrl: manager.consoleUrl,
  agentUrl: manager.agentUrl,
  caCertPem: manager.caCertPem,
  apiKey: key.value.key,
  pid: process.pid,
};
process.stdout.write(`READY ${JSON.stringify(ready)}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(1), 15_000);
  timer.unref();
  await manager.stop();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
