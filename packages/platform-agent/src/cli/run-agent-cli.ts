import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AgentLocalCommand } from '@bulwark/protocol';
import { AGENT_VERSION } from '../agent-version.js';
import type { readAgentStatus } from '../daemon/agent-status.js';
import { jsonLogger, type LogLevel } from '../log/json-logger.js';
import { agentModules } from '../modules/registry.js';

// Each command imports what it runs when it runs (the daemon, activation with its X.509 library,
// the spool's SQLite): `--help` and `--version` load none of it.

/** Exit codes, stable for scripts. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  notActivated: 3,
  managerUnreachable: 4,
  managerRefused: 5,
} as const;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves when the daemon should stop (SIGTERM/SIGINT); `run` installs nothing itself when given. */
  readonly shutdownSignal?: Promise<string>;
}

const HELP = `bulwark-agent ${AGENT_VERSION} — the Bulwark agent

Usage:
  bulwark-agent activate --manager URL --token T [--ca FILE | --ca-fingerprint SHA256] [--data-dir D] [--json]
  bulwark-agent status [--data-dir D] [--json]
  bulwark-agent deactivate [--force] [--data-dir D] [--json]
  bulwark-agent run [--data-dir D] [--log-level debug|info|warn|error]
  bulwark-agent updates [--data-dir D] [--json]
  bulwark-agent updates rollback KIND [--data-dir D] [--json]

  --manager         the manager's agent port, e.g. https://manager.example:4120; for a cluster,
                    several nodes separated by commas: the agent activates with the first that
                    answers and moves to the next at once when its node cannot be reached
  --token           activation token (or BULWARK_ACTIVATION_TOKEN in the environment), as
                    "bulwark tokens create" prints it: it carries the manager CA's fingerprint,
                    and the manager is checked against that CA before the token is sent
  --ca              the manager's CA certificate (PEM); must be the CA the token names
  --ca-fingerprint  SHA-256 fingerprint of the manager's CA, for a token without one
                    (made by an older manager); activation is refused with no CA to check
  --data-dir        default /var/lib/bulwark/agent, or BULWARK_AGENT_DATA_DIR
  --force           deactivate: remove the local identity even if the manager cannot be told

Exit codes: 0 ok, 1 failure, 2 usage, 3 not activated, 4 manager unreachable, 5 manager refused.
`;

const OPTIONS = {
  manager: { type: 'string' },
  token: { type: 'string' },
  ca: { type: 'string' },
  'ca-fingerprint': { type: 'string' },
  'data-dir': { type: 'string' },
  hostname: { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** A module's command run on the host (`bulwark-agent scan PATH`), found by its verb; the module is loaded for it. */
function localCommand(
  verb: string | undefined,
): { command: () => Promise<AgentLocalCommand | undefined>; module: string } | undefined {
  // The agent's own commands come first: a module cannot take their verbs.
  if (verb === undefined || ['activate', 'status', 'deactivate', 'run', 'updates', 'help'].includes(verb))
    return undefined;
  for (const entry of agentModules)
    if (entry.localCommands?.some((c) => c.verb === verb))
      return {
        command: async () => (await entry.load()).localCommands?.find((c) => c.verb === verb),
        module: entry.id,
      };
  return undefined;
}

function localCommandsHelp(): string {
  const lines = agentModules.flatMap((f) =>
    (f.localCommands ?? []).map((c) => `  bulwark-agent ${c.verb} ${c.usage}\n      ${c.summary} (module ${f.id})`),
  );
  return lines.length === 0
    ? ''
    : `\nCommands of the modules (run on this host, no daemon needed):\n${lines.join('\n')}\n`;
}

export async function runAgentCli(argv: readonly string[], io: CliIo): Promise<number> {
  const local = localCommand(argv[0]);
  if (local !== undefined) {
    // --data-dir D may come first among the command's own arguments.
    const rest = [...argv.slice(1)];
    const { DEFAULT_DATA_DIR } = await import('../identity/identity-store.js');
    let base = io.env.BULWARK_AGENT_DATA_DIR ?? DEFAULT_DATA_DIR;
    const at = rest.indexOf('--data-dir');
    if (at >= 0 && rest[at + 1] !== undefined) {
      base = rest[at + 1]!;
      rest.splice(at, 2);
    }
    const command = await local.command();
    if (command === undefined) {
      io.err(`bulwark-agent: module ${local.module} does not have the command "${argv[0]}" its registry entry names\n`);
      return ExitCode.failure;
    }
    return command.run(rest, { out: io.out, err: io.err, dataDir: join(base, 'modules', local.module) });
  }
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`bulwark-agent: ${(error as Error).message}\nRun "bulwark-agent --help" for usage.\n`);
    return ExitCode.usage;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(`${AGENT_VERSION}\n`);
    return ExitCode.ok;
  }
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    io.out(HELP + localCommandsHelp());
    return command === undefined && !values.help ? ExitCode.usage : ExitCode.ok;
  }
  if (positionals.length > 1 && command !== 'updates') {
    io.err(`bulwark-agent: unexpected argument "${positionals[1]}"\n`);
    return ExitCode.usage;
  }
  const dataDir = values['data-dir'] ?? io.env.BULWARK_AGENT_DATA_DIR;
  const json = values.json === true;
  const print = (result: object, text: string) => io.out(json ? `${JSON.stringify(result, null, 2)}\n` : text);
  const fail = (code: number, message: string, extra: object = {}) => {
    if (json) io.out(`${JSON.stringify({ ok: false, error: message, ...extra }, null, 2)}\n`);
    else io.err(`bulwark-agent: ${message}\n`);
    return code;
  };

  switch (command) {
    case 'activate': {
      const { activateAgent } = await import('../identity/activation.js');
      const { readCaFile } = await import('@bulwark/https-client');
      const token = values.token ?? io.env.BULWARK_ACTIVATION_TOKEN;
      if (!values.manager) return fail(ExitCode.usage, 'activate needs --manager URL');
      if (!token) return fail(ExitCode.usage, 'activate needs --token T (or BULWARK_ACTIVATION_TOKEN)');
      let caPem: string | undefined;
      if (values.ca !== undefined) {
        const file = await readCaFile(values.ca);
        if (!file.ok) return fail(ExitCode.usage, file.message);
        caPem = file.pem;
      }
      const result = await activateAgent({
        ...managerUrls(values.manager),
        token,
        ...(caPem !== undefined ? { caPem } : {}),
        ...(values['ca-fingerprint'] !== undefined ? { caFingerprint: values['ca-fingerprint'] } : {}),
        ...(dataDir !== undefined ? { dataDir } : {}),
        ...(values.hostname !== undefined ? { hostname: values.hostname } : {}),
      });
      if (!result.ok) {
        const code = {
          usage: ExitCode.usage,
          'already-activated': ExitCode.failure,
          unreachable: ExitCode.managerUnreachable,
          refused: ExitCode.managerRefused,
          'invalid-answer': ExitCode.failure,
        }[result.code];
        return fail(code, result.message, { code: result.code });
      }
      print(
        {
          ok: true,
          computerId: result.computerId,
          managerUrl: result.managerUrl,
          dataDir: result.dataDir,
          caTrust: result.caTrust,
          caFingerprint: result.caFingerprint,
        },
        `activated: computer ${result.computerId} with ${result.managerUrl} (data in ${result.dataDir})\nmanager CA (SHA-256): ${result.caFingerprint}\nstart the agent: systemctl enable --now bulwark-agent (or bulwark-agent run)\n`,
      );
      return ExitCode.ok;
    }
    case 'status': {
      const { readAgentStatus } = await import('../daemon/agent-status.js');
      const status = readAgentStatus(dataDir);
      if (json) io.out(`${JSON.stringify(status, null, 2)}\n`);
      else io.out(formatStatus(status));
      return status.activated ? ExitCode.ok : ExitCode.notActivated;
    }
    case 'deactivate': {
      const { deactivateAgent } = await import('../identity/deactivation.js');
      const result = await deactivateAgent({
        ...(dataDir !== undefined ? { dataDir } : {}),
        force: values.force === true,
      });
      if (!result.ok) {
        const code = {
          'not-activated': ExitCode.notActivated,
          unreachable: ExitCode.managerUnreachable,
          refused: ExitCode.managerRefused,
        }[result.code];
        return fail(code, result.message, { code: result.code });
      }
      print(
        result,
        `deactivated computer ${result.computerId}${result.managerTold ? '' : ' (locally only: the manager was not told)'}${
          result.discardedEvents > 0 ? `; ${result.discardedEvents} unsent events discarded` : ''
        }\n${
          result.hooksLeft.length === 0
            ? 'kernel hooks removed: none of ours is left on this host\n'
            : `kernel hooks NOT removed: ${result.hooksLeft.map((h) => `${h.module}: ${h.reason}`).join('; ')}\n`
        }`,
      );
      return result.hooksLeft.length === 0 ? ExitCode.ok : ExitCode.failure;
    }
    case 'run': {
      const level = (values['log-level'] ?? 'info') as LogLevel;
      if (!['debug', 'info', 'warn', 'error'].includes(level))
        return fail(ExitCode.usage, '--log-level must be debug, info, warn or error');
      const log = jsonLogger({ level });
      const { startAgent } = await import('../daemon/agent-daemon.js');
      const started = await startAgent({ ...(dataDir !== undefined ? { dataDir } : {}), log });
      if (!started.ok) {
        log.error(started.message);
        return started.code === 'not-activated' ? ExitCode.notActivated : ExitCode.failure;
      }
      const reason = await Promise.race([started.agent.ended, io.shutdownSignal ?? new Promise<string>(() => {})]);
      log.info('shutting down', { reason });
      await started.agent.stop();
      return ExitCode.ok;
    }
    case 'updates': {
      const { runUpdatesCommand } = await import('./updates-command.js');
      const outcome = runUpdatesCommand(positionals.slice(1), dataDir);
      if (!outcome.ok) return fail(outcome.usage ? ExitCode.usage : ExitCode.failure, outcome.text);
      print(outcome.json, outcome.text);
      return ExitCode.ok;
    }
    default:
      return fail(ExitCode.usage, `unknown command "${command}"; commands: activate, status, deactivate, run, updates`);
  }
}

function formatStatus(status: ReturnType<typeof readAgentStatus>): string {
  if (!status.activated) {
    const gone = status.deactivation;
    const why = gone
      ? [
          `computer ${gone.computerId} was deactivated ${gone.by === 'manager' ? 'by the manager' : 'on this host'} at ${gone.at}${gone.managerUrl ? ` (${gone.managerUrl})` : ''}`,
          gone.hooksLeft.length === 0
            ? 'kernel hooks:    none left (removed at deactivation)'
            : `kernel hooks:    NOT removed: ${gone.hooksLeft.map((h) => `${h.module}: ${h.reason}`).join('; ')}`,
          ...(gone.discardedEvents > 0 ? [`${gone.discardedEvents} unsent events were discarded`] : []),
        ]
      : [];
    return `${[`not activated${status.problem ? ` (${status.problem})` : ''} — data dir ${status.dataDir}`, ...why, 'run: bulwark-agent activate --manager URL --token T'].join('\n')}\n`;
  }
  const hooks =
    status.kernelHooks.length === 0
      ? ['kernel hooks:    none in force']
      : [
          `kernel hooks:    ${status.kernelHooks.map((h) => `${h.module}: ${h.hook}`).join('; ')}`,
          ...(status.daemon === 'running'
            ? []
            : [
                '                 (still enforcing while the agent is stopped; "bulwark-agent deactivate" removes them)',
              ]),
        ];
  const lines = [
    `computer:        ${status.computerId}`,
    `manager:         ${status.managerUrl}${
      status.alternateManagerUrls?.length ? ` (then ${status.alternateManagerUrls.join(', ')})` : ''
    }${status.managerNode && status.managerNode !== status.managerUrl ? `; now on ${status.managerNode}` : ''}`,
    ...(status.clusterManagerUrls?.length ? [`cluster nodes:   ${status.clusterManagerUrls.join(', ')}`] : []),
    `daemon:          ${status.daemon}`,
    `configuration:   ${status.appliedConfigurationVersion ?? 'none applied yet'}${status.configurationError ? ` (error: ${status.configurationError})` : ''}`,
    `last contact:    ${status.lastContactAt ?? 'never'}${status.lastError ? ` (last error: ${status.lastError})` : ''}`,
    `events:          ${status.spool.pendingEvents} waiting to be sent, ${status.spool.droppedEvents} dropped${
      status.spool.problem ? ` (${status.spool.problem})` : ''
    }`,
    ...hooks,
    'modules:',
    ...(status.modules.length === 0
      ? ['  (none)']
      : status.modules.map((m) => `  ${m.id.padEnd(22)} ${m.state}${m.reason ? ` — ${m.reason}` : ''}`)),
  ];
  return `${lines.join('\n')}\n`;
}

/** `--manager A,B,C`: the first node, then the cluster's other nodes in order. */
function managerUrls(given: string): { managerUrl: string; alternateManagerUrls?: string[] } {
  const [first = '', ...rest] = given
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  return rest.length > 0 ? { managerUrl: first, alternateManagerUrls: rest } : { managerUrl: first };
}
