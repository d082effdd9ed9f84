import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ManagerPki } from '../pki/certificate-authority.js';
import { installAgentAuth } from './agent-auth.js';
import type { AgentQuotaRates } from './agent-quota.js';
import { agentRoutes } from './agent-routes.js';
import { type ConnectionLimits, fastifyConnectionOptions, guardConnections } from './connection-guard.js';
import { clientErrorHandler, frameworkErrors, installProblemHandlers } from './error-handler.js';
import { installInputGuard } from './input-guard.js';
import type { ManagerMetrics } from './manager-metrics.js';
import { installSchemaValidation } from './schema-validation.js';
import { installSecurityHeaders } from './security-headers.js';
import type { Services } from './service-types.js';
import type { WakeHub } from './wake-hub.js';

export interface AgentServerOptions {
  readonly services: Services;
  readonly pki: ManagerPki;
  readonly wakeHub: WakeHub;
  readonly logger: FastifyServerOptions['logger'];
  readonly metrics: ManagerMetrics;
  /** Per-computer upload quotas (agent-quota.ts); default DEFAULT_AGENT_QUOTA. */
  readonly quota?: AgentQuotaRates;
  /** The quota's clock (tests move it); default Date.now. */
  readonly now?: () => number;
  readonly connectionLimits: ConnectionLimits;
  /** The live manager nodes of the cluster, handed to agents in heartbeat answers (cluster-nodes.ts). */
  readonly clusterNodes?: { agentUrls(): readonly string[] };
}

/** The agent listener (default port 4120): the protocol of packages/protocol/src/agent-api.ts over mutual TLS. */
export async function buildAgentServer(options: AgentServerOptions): Promise<FastifyInstance> {
  const connection = fastifyConnectionOptions(options.connectionLimits);
  const app = Fastify({
    requestTimeout: connection.requestTimeout,
    https: {
      ...connection.https,
      key: options.pki.serverKeyPem,
      cert: options.pki.serverCertPem,
      ca: options.pki.caCertPem,
      // Asked for, checked per route (activation comes without one): see agent-auth.ts.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    logger: options.logger,
    bodyLimit: 65_536,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
  });
  options.metrics.connections('agent', guardConnections(app.server, options.connectionLimits, app.log, 'agent'));
  app.removeContentTypeParser('text/plain');
  installSchemaValidation(app);
  installSecurityHeaders(app);
  installProblemHandlers(app);
  installAgentAuth(app, options.services);
  // Event details are stored as JSON text, which escapes NUL and lone surrogates: log lines keep them.
  installInputGuard(app, { opaqueStrings: /^body\/events\/\d+\/details(\/|$)/ });
  options.metrics.instrument(app, 'agent');
  app.addHook('preClose', async () => {
    // Long-polls would hold shutdown for up to their timeout; answer them now.
    options.wakeHub.close();
  });
  await app.register(async (scope) => agentRoutes(scope, options));
  return app;
}
