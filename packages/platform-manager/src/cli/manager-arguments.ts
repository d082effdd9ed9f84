import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isRole, type Role } from '../services/roles.js';

export interface ServeCommand {
  readonly command: 'serve';
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly consolePort: number;
  readonly agentPort: number;
  readonly listenAddress: string;
  readonly serverNames: string[];
  readonly logLevel: string;
  readonly eventRetentionDays: number;
  /** File holding the cluster key (PostgreSQL clusters); read at start. */
  readonly clusterKeyFile: string | undefined;
  /** The URL agents reach this node at, handed to them in the cluster's list of nodes. */
  readonly advertiseUrl: string | undefined;
}

export interface CreateApiKeyCommand {
  readonly command: 'create-api-key';
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly role: Role;
  readonly name: string;
  readonly json: boolean;
}

export type ManagerCommand = ServeCommand | CreateApiKeyCommand | { readonly command: 'help' };

export type ParsedCommand = { ok: true; value: ManagerCommand } | { ok: false; message: string };

export const USAGE = `Usage:
  bulwark-manager [options]                 run the manager (console/API and agent listeners)
  bulwark-manager create-api-key --role R   make an API key offline, against the store

Options:
  --data-dir DIR         data directory (database, pki/)          [BULWARK_DATA_DIR]
                         default: /var/lib/bulwark/manager as root, else ~/.local/share/bulwark/manager
  --database-url URL     postgres://… instead of the embedded SQLite [BULWARK_DATABASE_URL]
  --console-port N       console/API port (HTTPS), default 4119  [BULWARK_CONSOLE_PORT]
  --agent-port N         agent port (HTTPS, mutual TLS), default 4120 [BULWARK_AGENT_PORT]
  --listen-address ADDR  address both ports listen on, default 0.0.0.0 [BULWARK_LISTEN_ADDRESS]
  --server-name NAME     extra DNS name or IP for the server certificate (repeatable)
  --log-level LEVEL      trace|debug|info|warn|error, default info [BULWARK_LOG_LEVEL]
  --event-retention-days N  delete events older than N days (default 90, 0 = keep all)
  --cluster-key-file FILE   the secret every node of a PostgreSQL cluster is given (mode 0600,
                         at least 32 characters, e.g. openssl rand -base64 32): seals the
                         cluster's CA key in the database so new nodes take it from there
                         [BULWARK_CLUSTER_KEY_FILE]
  --advertise-url URL    the https:// URL agents reach this node's agent port at, handed to
                         agents in the cluster's list of nodes; default https://<first
                         --server-name, else this host's name>:<agent port> [BULWARK_ADVERTISE_URL]

create-api-key (refused when --data-dir or --database-url holds no manager store):
  --role administrator|operator|auditor   (required)
  --name NAME            default "cli"
  --json                 print {"id","name","role","key"}
`;

/**
 * The folders `npm start` uses in a checkout: BULWARK_DATA_DIR is the manager's data folder there
 * too (the folder that holds manager.db and pki/), so `bulwark-manager create-api-key` run with the
 * same environment opens the same store. The local agent's folder follows it (`agent/` inside
 * it) unless BULWARK_AGENT_DATA_DIR says otherwise, so a BULWARK_DATA_DIR of its own never picks up
 * an agent activated against another manager.
 */
export function checkoutDataDirs(
  repo: string,
  env: NodeJS.ProcessEnv = process.env,
): { readonly managerDir: string; readonly agentDir: string } {
  const agentDefault = env.BULWARK_DATA_DIR
    ? join(env.BULWARK_DATA_DIR, 'agent')
    : join(repo, '.bulwark-data', 'agent');
  return {
    managerDir: resolve(env.BULWARK_DATA_DIR || join(repo, '.bulwark-data', 'manager')),
    agentDir: resolve(env.BULWARK_AGENT_DATA_DIR || agentDefault),
  };
}

/** The default data directory: $BULWARK_DATA_DIR, else the system place as root, else the user's. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 1000): string {
  if (env.BULWARK_DATA_DIR) return env.BULWARK_DATA_DIR;
  if (uid === 0) return '/var/lib/bulwark/manager';
  return join(env.HOME ?? homedir(), '.local', 'share', 'bulwark', 'manager');
}

function port(
  option: string | undefined,
  environment: string | undefined,
  fallback: number,
  flag: string,
): number | string {
  const value = option ?? environment;
  if (value === undefined) return fallback;
  const from = option === undefined ? ` (from BULWARK_${flag.slice(2).replace('-', '_').toUpperCase()})` : '';
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    return `${flag} must be a port number 0..65535, not "${value}"${from}`;
  return Number(value);
}

export function parseManagerArguments(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        'console-port': { type: 'string' },
        'agent-port': { type: 'string' },
        'listen-address': { type: 'string' },
        'server-name': { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        'event-retention-days': { type: 'string' },
        'cluster-key-file': { type: 'string' },
        'advertise-url': { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help === true) return { ok: true, value: { command: 'help' } };
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const dataDir = str('data-dir') ?? defaultDataDir(env);
  const databaseUrl = str('database-url') ?? (env.BULWARK_DATABASE_URL || undefined);
  const [command, ...rest] = parsed.positionals;
  if (rest.length > 0) return { ok: false, message: `unexpected arguments: ${rest.join(' ')}` };

  if (command === 'create-api-key') {
    const role = str('role');
    if (!isRole(role)) return { ok: false, message: '--role must be administrator, operator or auditor' };
    return {
      ok: true,
      value: {
        command: 'create-api-key',
        dataDir,
        databaseUrl,
        role,
        name: str('name') ?? 'cli',
        json: values.json === true,
      },
    };
  }
  if (command !== undefined && command !== 'serve') {
    return { ok: false, message: `unknown command "${command}"` };
  }
  const fromEnv = (name: string) => env[name] || undefined;
  const consolePort = port(str('console-port'), fromEnv('BULWARK_CONSOLE_PORT'), 4119, '--console-port');
  if (typeof consolePort === 'string') return { ok: false, message: consolePort };
  const agentPort = port(str('agent-port'), fromEnv('BULWARK_AGENT_PORT'), 4120, '--agent-port');
  if (typeof agentPort === 'string') return { ok: false, message: agentPort };
  const logLevel = str('log-level') ?? fromEnv('BULWARK_LOG_LEVEL') ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    return { ok: false, message: `--log-level must be trace, debug, info, warn or error, not "${logLevel}"` };
  }
  const retention = str('event-retention-days') ?? '90';
  if (!/^\d{1,6}$/.test(retention)) {
    return { ok: false, message: `--event-retention-days must be a whole number of days, not "${retention}"` };
  }
  const advertiseUrl = str('advertise-url') ?? fromEnv('BULWARK_ADVERTISE_URL');
  if (advertiseUrl !== undefined && !isAgentUrl(advertiseUrl))
    return { ok: false, message: `--advertise-url must be an https:// URL with a host, not "${advertiseUrl}"` };
  const serverNames = Array.isArray(values['server-name']) ? (values['server-name'] as string[]) : [];
  return {
    ok: true,
    value: {
      command: 'serve',
      dataDir,
      databaseUrl,
      consolePort,
      agentPort,
      listenAddress: str('listen-address') ?? fromEnv('BULWARK_LISTEN_ADDRESS') ?? '0.0.0.0',
      serverNames,
      logLevel,
      eventRetentionDays: Number(retention),
      clusterKeyFile: str('cluster-key-file') ?? fromEnv('BULWARK_CLUSTER_KEY_FILE'),
      advertiseUrl,
    },
  };
}

function isAgentUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.hostname !== '' && (url.pathname === '/' || url.pathname === '');
  } catch {
    return false;
  }
}
