import { type CliError, exitCodeForStatus } from './cli-error.js';

/**
 * Turns an error response into `<title>: <detail>` (plus the validation issues, one per line).
 * The body is the manager's problem+json, but it may be anything a proxy sent: never trust its shape.
 */
export function problemToCliError(status: number, body: unknown): CliError {
  const exitCode = exitCodeForStatus(status);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const text = typeof body === 'string' && body.trim() !== '' ? `: ${oneLine(body)}` : '';
    return { exitCode, message: `HTTP ${status}${text}` };
  }
  const record = body as Record<string, unknown>;
  const title = typeof record.title === 'string' && record.title !== '' ? record.title : `HTTP ${status}`;
  const detail = typeof record.detail === 'string' && record.detail !== '' ? `: ${record.detail}` : '';
  const issues = Array.isArray(record.issues)
    ? record.issues
        .filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null)
        .map((i) => `  ${String(i.path ?? '/')}: ${String(i.message ?? '')}`)
    : [];
  const message = oneLine(`${title}${detail}`);
  return issues.length > 0 ? { exitCode, message, hint: issues.join('\n') } : { exitCode, message };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat;
}
