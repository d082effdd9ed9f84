import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { ClusterNodes } from './cluster-nodes.js';
import { startForwarding } from './forwarding/forwarder.js';
import { siemFieldSource } from './forwarding/siem-field-source.js';
import type { AgentQuotaRates } from './http/agent-quota.js';
import { buildAgentServer } from './http/agent-server.js';
import { defaultListenerLimits, type ListenerLimits } from './http/connection-guard.js';
import { buildConsoleServer } from './http/console-server.js';
import { ManagerMetrics } from './http/manager-metrics.js';
import type { Services } from './http/service-types.js';
import { WakeHub } from './http/wake-hub.js';
import { startPostgresWakeRelay, type WakeRelay } from './http/wake-relay-postgres.js';
import { eventPartitionUpkeep, eventRetention, offlineCheck } from './manager-schedules.js';
import { managerModules } from './modules/registry.js';
import { createCertificateAuthority, loadOrCreatePki } from './pki/certificate-authority.js';
import { type CaMaterial, reconcileClusterCa } from './pki/cluster-ca.js';
import { createServices } from './services/index.js';
import { openDatabase, type Store } from './storage/index.js';

export const DEFAULT_CONSOLE_PORT = 4119;
export const DEFAULT_AGENT_PORT = 4120;
const DEFAULT_OFFLINE_CHECK_MS = 15_000;
export const DEFAULT_EVENT_RETENTION_DAYS = 90;

export const MANAGER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface ManagerOptions {
  /** Holds the SQLite database (unless `databaseUrl`) and `pki/`. */
  readonly dataDir: string;
  /** postgres://… to use PostgreSQL instead of the embedded SQLite file. */
  readonly databaseUrl?: string;
  /** 0 = any free port (tests). */
  readonly consolePort?: number;
  readonly agentPort?: number;
  readonly listenAddress?: string;
  /** Extra DNS names / IPs for the server certificate. */
  readonly serverNames?: readonly string[];
  /**
   * The URL agents reach this node's agent port at, handed to agents as part of the cluster's list
   * of nodes. Default: https://<first server name, or the listen address, or this host's name>:<agent port>.
   */
  readonly advertiseUrl?: string;
  /** How often this node renews its place in the cluster's list of nodes (default 10 s; tests shorten it). */
  readonly nodeLeaseRenewMs?: number;
  /** Fastify/pino logger options; false = silent. Default: JSON info logs with secrets redacted. */
  readonly logger?: FastifyServerOptions['logger'];
  readonly offlineCheckIntervalMs?: number;
  /** Events older than this many days are deleted (hourly); 0 keeps them all. Default 90. */
  readonly eventRetentionDays?: number;
  /** Epoch milliseconds for the services (token expiry, sessions, offline); tests move it. */
  readonly now?: () => number;
  /**
   * The secret shared by the nodes of a cluster (PostgreSQL): it seals the cluster's CA key in the
   * database, so a new node takes the CA from there. Without it a node must hold the CA files.
   */
  readonly clusterKey?: string;
  /** Lifetime of the agent certificates this manager signs (default 730 days); tests shorten it. */
  readonly agentCertificateValidityMs?: number;
  /** Per-computer event upload quotas on the agent port; default DEFAULT_AGENT_QUOTA. */
  readonly agentQuota?: AgentQuotaRates;
  /** Connection limits and deadlines per listener; default defaultListenerLimits() (from the descriptor limit). */
  readonly connectionLimits?: ListenerLimits;
  /** The built web console the console port serves (default packages/console/dist of this checkout). */
  readonly consoleDir?: string;
  /** Collect every console route as it is registered (the route-table test). */
  readonly onConsoleRoute?: (route: { method: string | string[]; url: string; role: string | undefined }) => void;
}

export interface RunningManager {
  readonly consoleUrl: string;
  readonly agentUrl: string;
  readonly caCertPem: string;
  readonly caFingerprint: string;
  /** The password of the `admin` user created on this start, or null when users already existed. */
  readonly initialAdminPassword: string | null;
  readonly services: Services;
  readonly wakeHub: WakeHub;
  readonly version: string;
  stop(): Promise<void>;
}

/** Header and field names whose values never reach a log line. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.key',
  '*.sessionToken',
  '*.csrfToken',
];

export function defaultLoggerOptions(level = 'info'): FastifyServerOptions['logger'] {
  return { level, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } };
}

/** Whatever logger options a caller gives, secrets stay redacted. */
function withRedaction(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === true) return defaultLoggerOptions();
  if (typeof logger !== 'object' || logger === null || 'redact' in logger) return logger;
  return { ...logger, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } };
}

/**
 * The whole manager in one process: storage, services, PKI, the console/API and agent
 * listeners, the wake hub and the offline check. Tests start it in-process on port 0.
 */
export async function startManager(options: ManagerOptions): Promise<RunningManager> {
  const logger = withRedaction(options.logger ?? defaultLoggerOptions());
  const store: Store = await openDatabase(
    options.databaseUrl === undefined ? { dataDir: options.dataDir } : { url: options.databaseUrl },
  );
  let consoleApp: FastifyInstance | null = null;
  let agentApp: FastifyInstance | null = null;
  const wakeHub = new WakeHub();
  const metrics = new ManagerMetrics();
  let relay: WakeRelay | null = null;
  // Known once the agent port listens (port 0 in tests); until then heartbeats carry no list.
  let clusterNodes: ClusterNodes | null = null;
  try {
    const pki = await loadOrCreatePki(join(options.dataDir, 'pki'), {
      serverNames: options.serverNames ?? [],
      ...(options.agentCertificateValidityMs === undefined
        ? {}
        : { agentCertificateValidityMs: options.agentCertificateValidityMs }),
      // Nodes that share a PostgreSQL database are one cluster and must sign with one CA.
      ...(store.dialect === 'postgres'
        ? {
            resolveCa: (local: CaMaterial | null) =>
              reconcileClusterCa(store.db, local, {
                ...(options.clusterKey === undefined ? {} : { clusterKey: options.clusterKey }),
                createCa: createCertificateAuthority,
                now: options.now ?? Date.now,
              }),
          }
        : {}),
    });
    const services = createServices({
      db: store.db,
      modules: managerModules,
      caFingerprint: pki.caFingerprint,
      updateSigner: pki.updateSigner,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    const initialAdminPassword = await services.users.ensureInitialAdmin();
    // A module upgrade may change what a computer's policy compiles to; agents learn at their heartbeat.
    await services.configuration.recompute('all');

    const connectionLimits = options.connectionLimits ?? defaultListenerLimits();
    consoleApp = await buildConsoleServer({
      services,
      connectionLimits: connectionLimits.console,
      wakeHub,
      version: MANAGER_VERSION,
      // The chain includes the CA so that clients can pin its fingerprint (bulwark --ca-fingerprint).
      tls: { key: pki.serverKeyPem, cert: `${pki.serverCertPem.trim()}\n${pki.caCertPem}` },
      logger,
      metrics,
      agentPort: () => {
        const address = agentApp?.server.address();
        return typeof address === 'object' && address !== null ? address.port : null;
      },
      ...(options.onConsoleRoute === undefined ? {} : { onRoute: options.onConsoleRoute }),
      ...(options.consoleDir === undefined ? {} : { consoleDir: options.consoleDir }),
    });
    agentApp = await buildAgentServer({
      services,
      connectionLimits: connectionLimits.agent,
      pki,
      wakeHub,
      logger,
      metrics,
      clusterNodes: { agentUrls: () => clusterNodes?.agentUrls ?? [] },
      ...(options.agentQuota === undefined ? {} : { quota: options.agentQuota }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    // Manager nodes sharing PostgreSQL pass wakes to each other: a poll may be held by another node.
    if (options.databaseUrl !== undefined)
      relay = await startPostgresWakeRelay(options.databaseUrl, wakeHub, agentApp.log);
    const wakeRelay = relay;
    const host = options.listenAddress ?? '0.0.0.0';
    await consoleApp.listen({ port: options.consolePort ?? DEFAULT_CONSOLE_PORT, host });
    await agentApp.listen({ port: options.agentPort ?? DEFAULT_AGENT_PORT, host });
    const agentServerLog = agentApp.log;
    clusterNodes = new ClusterNodes({
      db: store.db,
      agentUrl: options.advertiseUrl ?? defaultAdvertiseUrl(agentApp, host, options.serverNames ?? []),
      ...(options.nodeLeaseRenewMs === undefined ? {} : { renewMs: options.nodeLeaseRenewMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
      onError: (error) => agentServerLog.warn({ err: error }, 'renewing this node in the list of manager nodes failed'),
    });
    await clusterNodes.start();

    const schedules = [
      offlineCheck(services, options.offlineCheckIntervalMs ?? DEFAULT_OFFLINE_CHECK_MS, consoleApp.log, store.db),
      eventRetention(
        services,
        options.eventRetentionDays ?? DEFAULT_EVENT_RETENTION_DAYS,
        consoleApp.log,
        options.now ?? Date.now,
        store.db,
      ),
      ...(store.dialect === 'postgres' ? [eventPartitionUpkeep(services, consoleApp.log, store.db)] : []),
      startForwarding({
        db: store.db,
        identity: { vendor: 'Bulwark', product: 'Bulwark', version: MANAGER_VERSION },
        siemFields: siemFieldSource(managerModules),
        logger: consoleApp.log,
      }),
    ];
    const consoleServer = consoleApp;
    const agentServer = agentApp;
    const nodes = clusterNodes;
    let stopping: Promise<void> | null = null;
    return {
      consoleUrl: urlOf(consoleServer, host),
      agentUrl: urlOf(agentServer, host),
      caCertPem: pki.caCertPem,
      caFingerprint: pki.caFingerprint,
      initialAdminPassword,
      services,
      wakeHub,
      version: MANAGER_VERSION,
      stop() {
        stopping ??= (async () => {
          await nodes.stop();
          await Promise.all(schedules.map((schedule) => schedule.stop()));
          wakeHub.close();
          await wakeRelay?.close();
          await Promise.allSettled([agentServer.close(), consoleServer.close()]);
          await store.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await clusterNodes?.stop();
    wakeHub.close();
    await relay?.close();
    await Promise.allSettled([agentApp?.close(), consoleApp?.close()]);
    await store.close();
    throw error;
  }
}

function urlOf(app: FastifyInstance, host: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `https://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

/** Where agents reach this node when no --advertise-url is given: a name its server certificate carries. */
function defaultAdvertiseUrl(app: FastifyInstance, host: string, serverNames: readonly string[]): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : DEFAULT_AGENT_PORT;
  const wildcard = host === '0.0.0.0' || host === '::';
  const name = serverNames[0] ?? (wildcard ? hostname() : host);
  return `https://${name.includes(':') ? `[${name}]` : name}:${port}`;
}
