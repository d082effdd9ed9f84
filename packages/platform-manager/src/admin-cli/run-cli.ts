import type { Readable, Writable } from 'node:stream';
import { type CliError, ExitCode, formatCliError } from './cli-error.js';
import { COMMANDS } from './commands/index.js';
import { helpJson, helpText } from './help.js';
import { parseInvocation } from './invocation.js';
import { createManagerClient } from './manager-client.js';
import { agentFor, trustFromOptions } from './tls-trust.js';

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
}

export const CLI_VERSION = '0.1.0';

/** Runs one `bulwark` invocation and answers the exit code; never throws for a user error. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const invocation = parseInvocation(argv, io.env, COMMANDS);
  if (!invocation.ok) return report(io, invocation.error, argv.includes('--json'));
  const value = invocation.value;
  if (value.kind === 'help') {
    io.stdout.write(
      value.json ? `${JSON.stringify(helpJson(COMMANDS), null, 2)}\n` : `${helpText(COMMANDS, value.topic)}\n`,
    );
    return ExitCode.ok;
  }
  if (value.kind === 'version') {
    io.stdout.write(value.json ? `${JSON.stringify({ version: CLI_VERSION })}\n` : `bulwark ${CLI_VERSION}\n`);
    return ExitCode.ok;
  }
  const { settings, command, input } = value;
  const json = settings.json;
  if (settings.manager === undefined) {
    return report(
      io,
      {
        exitCode: ExitCode.usage,
        message: 'no manager given',
        hint: 'Pass --manager https://HOST:4119 or set BULWARK_MANAGER.',
      },
      json,
    );
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(settings.manager);
  } catch {
    return report(io, { exitCode: ExitCode.usage, message: `--manager is not a URL: "${settings.manager}"` }, json);
  }
  if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') {
    return report(
      io,
      { exitCode: ExitCode.usage, message: `--manager must be an https:// URL, got "${settings.manager}"` },
      json,
    );
  }
  if (settings.apiKey === undefined) {
    return report(
      io,
      {
        exitCode: ExitCode.auth,
        message: 'no API key given',
        hint: 'Set BULWARK_API_KEY (or pass --api-key). The first one comes from the manager host: bulwark-manager create-api-key --role administrator --data-dir DIR (the data folder the manager prints); with a key, more with: bulwark api-keys create NAME --role R',
      },
      json,
    );
  }
  const trust = trustFromOptions(settings.caFile, settings.caFingerprint);
  if (!trust.ok) return report(io, trust.error, json);
  const agent = await agentFor(trust.value);
  if (!agent.ok) return report(io, agent.error, json);
  const client = createManagerClient({ baseUrl, apiKey: settings.apiKey, trust: trust.value, agent: agent.value });
  try {
    const result = await command.run(
      {
        client,
        managerUrl: baseUrl,
        now: io.now?.() ?? new Date(),
        json,
        stdout: io.stdout,
        stderr: io.stderr,
        stdin: io.stdin,
      },
      input,
    );
    if (!result.ok) return report(io, result.error, json);
    if (result.value.written !== true) {
      io.stdout.write(json ? `${JSON.stringify(result.value.json, null, 2)}\n` : `${result.value.text}\n`);
    }
    return ExitCode.ok;
  } finally {
    client.close();
  }
}

/** Errors go to stderr as `error: …`; with --json, stdout also gets `{ "error": … }` for scripts. */
function report(io: CliIo, error: CliError, json: boolean): number {
  io.stderr.write(`${formatCliError(error)}\n`);
  if (json) {
    const body = error.hint === undefined ? { message: error.message } : { message: error.message, hint: error.hint };
    io.stdout.write(`${JSON.stringify({ error: { ...body, exitCode: error.exitCode } }, null, 2)}\n`);
  }
  return error.exitCode;
}
