import type { Readable, Writable } from 'node:stream';
import type { ParseArgsConfig } from 'node:util';
import type { CliResult } from './cli-error.js';
import type { ManagerClient } from './manager-client.js';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface CommandInput {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
}

export interface CommandContext {
  readonly client: ManagerClient;
  /** The --manager URL the client talks to. */
  readonly managerUrl?: URL;
  readonly now: Date;
  readonly json: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable & { isTTY?: boolean };
}

/**
 * What a command answers: the machine form printed with --json and the human form otherwise.
 * A command that already wrote its output (an export to stdout) answers `written: true`.
 */
export interface CommandOutput {
  readonly json: unknown;
  readonly text: string;
  readonly written?: boolean;
}

export interface Command {
  readonly group: string;
  /** Empty for a group without sub-commands. */
  readonly name: string;
  /** Positional arguments as shown in usage, e.g. `ID POLICY`. */
  readonly args: string;
  readonly summary: string;
  readonly options: OptionsConfig;
  /** `[flag, explanation]` pairs for --help. */
  readonly optionHelp: readonly (readonly [string, string])[];
  readonly positionals: { readonly min: number; readonly max: number };
  readonly run: (context: CommandContext, input: CommandInput) => Promise<CliResult<CommandOutput>>;
}

/** Reads a string option; parseArgs already guarantees the type for options declared as strings. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const value = input.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(input: CommandInput, name: string): boolean {
  return input.values[name] === true;
}
