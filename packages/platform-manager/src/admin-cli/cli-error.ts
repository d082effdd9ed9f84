/**
 * Exit codes are part of the CLI's contract: scripts branch on them.
 * 2 = the command line itself is wrong, 3 = not authenticated or not allowed,
 * 4 = the thing asked about does not exist, 1 = anything else.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the user can act on: printed as `error: <message>` and turned into the exit code. */
export interface CliError {
  readonly exitCode: ExitCode;
  readonly message: string;
  /** Extra lines printed after the message, e.g. how to fix it. */
  readonly hint?: string;
}

export type CliResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CliError };

export function ok<T>(value: T): CliResult<T> {
  return { ok: true, value };
}

export function fail(exitCode: ExitCode, message: string, hint?: string): { ok: false; error: CliError } {
  return { ok: false, error: hint === undefined ? { exitCode, message } : { exitCode, message, hint } };
}

export function usageError(message: string, hint?: string): { ok: false; error: CliError } {
  return fail(ExitCode.usage, message, hint);
}

/** Which exit code an HTTP error status maps to. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 404) return ExitCode.notFound;
  return ExitCode.failure;
}

/** The text of a CliError as printed on stderr. */
export function formatCliError(error: CliError): string {
  const lines = [`error: ${error.message}`];
  if (error.hint !== undefined) lines.push(error.hint);
  return lines.join('\n');
}
