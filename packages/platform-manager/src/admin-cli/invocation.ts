import { parseArgs } from 'node:util';
import { type CliResult, ok, usageError } from './cli-error.js';
import type { Command, CommandInput, OptionsConfig } from './command.js';

/** Options every command accepts, before or after the command words. */
export const GLOBAL_OPTIONS = {
  manager: { type: 'string' },
  'api-key': { type: 'string' },
  ca: { type: 'string' },
  'ca-fingerprint': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies OptionsConfig;

export interface GlobalSettings {
  readonly manager: string | undefined;
  readonly apiKey: string | undefined;
  readonly caFile: string | undefined;
  readonly caFingerprint: string | undefined;
  readonly json: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

/** What the command line asks for, before anything touches the network. */
export type Invocation =
  | { readonly kind: 'help'; readonly topic: readonly string[]; readonly json: boolean }
  | { readonly kind: 'version'; readonly json: boolean }
  | {
      readonly kind: 'run';
      readonly command: Command;
      readonly input: CommandInput;
      readonly settings: GlobalSettings;
    };

const VALUE_OPTIONS = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([name]) => `--${name}`),
);

/**
 * Splits `bulwark [global options] <group> [<name>] [args and options]`. Global options may also
 * come after the command words; each command's own options are parsed strictly with parseArgs.
 */
export function parseInvocation(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  commands: readonly Command[],
): CliResult<Invocation> {
  let index = 0;
  const leading: string[] = [];
  while (index < argv.length && argv[index]!.startsWith('-') && argv[index] !== '--') {
    const token = argv[index]!;
    leading.push(token);
    index++;
    if (VALUE_OPTIONS.has(token) && index < argv.length) leading.push(argv[index++]!);
  }
  let globals: Record<string, string | boolean | undefined>;
  try {
    globals = parseArgs({ args: leading, options: GLOBAL_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return usageError(cleanParseError(error), 'See: bulwark --help');
  }
  const words = argv.slice(index);
  const groupName = words[0];
  if (groupName === undefined || groupName === 'help') {
    if (globals.version === true) return ok({ kind: 'version', json: globals.json === true });
    return ok({ kind: 'help', topic: words.slice(1, 3), json: globals.json === true });
  }
  const group = commands.filter((c) => c.group === groupName);
  if (group.length === 0) return usageError(`unknown command "${groupName}"`, 'See: bulwark --help');
  const single = group.length === 1 && group[0]!.name === '' ? group[0] : undefined;
  const commandName = single !== undefined ? '' : words[1];
  const rest = single !== undefined ? words.slice(1) : words.slice(2);
  if (commandName === undefined || commandName === '--help' || commandName === '-h') {
    return ok({ kind: 'help', topic: [groupName], json: globals.json === true });
  }
  const command = group.find((c) => c.name === commandName);
  if (command === undefined) {
    return usageError(
      `unknown command "${groupName} ${commandName}"`,
      `${groupName} has: ${group.map((c) => c.name).join(', ')}. See: bulwark ${groupName} --help`,
    );
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    return usageError(cleanParseError(error), `See: bulwark ${groupName} ${commandName} --help`);
  }
  const values = { ...globals, ...parsed.values } as Record<string, string | boolean | undefined>;
  if (values.help === true) return ok({ kind: 'help', topic: [groupName, commandName], json: values.json === true });
  const { min, max } = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const usage = `bulwark ${groupName} ${commandName}${command.args ? ` ${command.args}` : ''}`;
    const wanted = min === max ? `${min}` : `${min} to ${max}`;
    return usageError(`expected ${wanted} argument(s), got ${parsed.positionals.length}`, `Usage: ${usage}`);
  }
  const string = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const caFlag = string('ca');
  const fingerprintFlag = string('ca-fingerprint');
  // A --ca or --ca-fingerprint on the command line replaces BULWARK_CA, rather than clashing with it.
  const fromEnv = caFlag === undefined && fingerprintFlag === undefined ? nonEmpty(env.BULWARK_CA) : undefined;
  const settings: GlobalSettings = {
    manager: string('manager') ?? nonEmpty(env.BULWARK_MANAGER),
    apiKey: string('api-key') ?? nonEmpty(env.BULWARK_API_KEY),
    caFile: caFlag ?? fromEnv,
    caFingerprint: fingerprintFlag,
    json: values.json === true,
    help: false,
    version: values.version === true,
  };
  return ok({ kind: 'run', command, input: { positionals: parsed.positionals, values }, settings });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** parseArgs errors carry a code prefix and a hint meant for programmers; keep the sentence. */
function cleanParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('. To specify')[0]!.replace(/^Unknown option/, 'unknown option');
}
