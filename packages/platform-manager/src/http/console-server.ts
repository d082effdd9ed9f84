import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { forwardingRoutes } from '../forwarding/forwarding-routes.js';
import { type ConnectionLimits, fastifyConnectionOptions, guardConnections } from './connection-guard.js';
import { DEFAULT_CONSOLE_DIR, loadConsoleAssets } from './console-assets.js';
import { installConsoleAuth, SESSION_COOKIE } from './console-auth.js';
import { clientErrorHandler, frameworkErrors, installProblemHandlers } from './error-handler.js';
import { installInputGuard } from './input-guard.js';
import type { ManagerMetrics } from './manager-metrics.js';
import { accountRoutes } from './routes/accounts.js';
import { activationTokenRoutes } from './routes/activation-tokens.js';
import { agentPackageRoutes } from './routes/agent-packages.js';
import { alertRoutes } from './routes/alerts.js';
import { auditLogRoutes } from './routes/audit-log.js';
import { computerRoutes } from './routes/computers.js';
import { computerCommandRoutes } from './routes/computers-commands.js';
import { computerSnapshotRoutes } from './routes/computers-snapshots.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eventRoutes } from './routes/events.js';
import { metricsRoutes } from './routes/metrics.js';
import { policyRoutes } from './routes/policies.js';
import { ruleSilencingRoutes } from './routes/rule-silencing.js';
import { ruleRoutes } from './routes/rules.js';
import { sessionRoutes } from './routes/sessions.js';
import { settingRoutes } from './routes/settings.js';
import { updatePackageRoutes } from './routes/update-packages.js';
import { installSchemaValidation } from './schema-validation.js';
import { installSecurityHeaders } from './security-headers.js';
import type { Services } from './service-types.js';
import type { WakeHub } from './wake-hub.js';

export const BODY_LIMIT_BYTES = 1_048_576;

export interface ConsoleServerOptions {
  readonly services: Services;
  readonly wakeHub: WakeHub;
  readonly version: string;
  readonly tls: { readonly key: string; readonly cert: string };
  readonly logger: FastifyServerOptions['logger'];
  readonly metrics: ManagerMetrics;
  /** The agent port once listening: activation-token answers say where agents connect. */
  readonly agentPort?: () => number | null;
  readonly connectionLimits: ConnectionLimits;
  /** The built web console (default packages/console/dist); its files are read once at start. */
  readonly consoleDir?: string;
  /** Called for every route as it is registered (the route-table test collects them). */
  readonly onRoute?: (route: { method: string | string[]; url: string; role: string | undefined }) => void;
}

export interface ConsoleRouteContext {
  readonly services: Services;
  readonly wakeHub: WakeHub;
  readonly version: string;
  readonly metrics: ManagerMetrics;
  readonly agentPort: () => number | null;
}

/** The console/API listener (default port 4119): the REST API of docs/api.md, its OpenAPI document and UI, the web console. */
export async function buildConsoleServer(options: ConsoleServerOptions): Promise<FastifyInstance> {
  const connection = fastifyConnectionOptions(options.connectionLimits);
  const app = Fastify({
    requestTimeout: connection.requestTimeout,
    https: { ...connection.https, key: options.tls.key, cert: options.tls.cert },
    logger: options.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
  });
  options.metrics.connections('console', guardConnections(app.server, options.connectionLimits, app.log, 'console'));
  // JSON only: a text/plain body is refused with 415 rather than handed to a handler as a string.
  app.removeContentTypeParser('text/plain');
  installSchemaValidation(app);
  installSecurityHeaders(app);
  const consoleAssets = loadConsoleAssets(options.consoleDir ?? DEFAULT_CONSOLE_DIR);
  installProblemHandlers(app, (reply) => consoleAssets.page(reply));
  // Cookies are parsed in an onRequest hook that must run before the one that authenticates.
  await app.register(fastifyCookie, { hook: 'onRequest', parseOptions: {} });
  installConsoleAuth(app, options.services);
  installInputGuard(app);
  options.metrics.instrument(app, 'console');
  if (options.onRoute !== undefined) {
    // After the auth hook, so the report shows the role it settled on.
    const report = options.onRoute;
    app.addHook('onRoute', (route) => report({ method: route.method, url: route.url, role: route.config?.role }));
  }

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bulwark manager API',
        version: options.version,
        description: 'Errors are application/problem+json (RFC 9457) with a stable urn:bulwark:problem:<name> type.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer bwk_…' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });

  const context: ConsoleRouteContext = {
    services: options.services,
    wakeHub: options.wakeHub,
    version: options.version,
    metrics: options.metrics,
    agentPort: options.agentPort ?? (() => null),
  };
  for (const routes of [
    sessionRoutes,
    accountRoutes,
    computerRoutes,
    computerCommandRoutes,
    computerSnapshotRoutes,
    settingRoutes,
    policyRoutes,
    ruleRoutes,
    ruleSilencingRoutes,
    activationTokenRoutes,
    eventRoutes,
    alertRoutes,
    auditLogRoutes,
    metricsRoutes,
    forwardingRoutes,
    dashboardRoutes,
    updatePackageRoutes,
  ]) {
    await app.register(async (scope) => routes(scope, context));
  }
  await app.register(async (scope) => agentPackageRoutes(scope, options.tls.cert));
  consoleAssets.install(app);
  return app;
}
