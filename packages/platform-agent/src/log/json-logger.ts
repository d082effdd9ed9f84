import type { ModuleLogger } from '@bulwark/protocol';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface AgentLogger extends ModuleLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): AgentLogger;
}

/** Field names whose values never reach a log, whatever a caller passes. */
const SECRET_FIELD = /token|key|password|secret|passphrase|csr|certificate|authorization|cookie/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One JSON object per line: what journald and log shippers read best. */
export function jsonLogger(
  options: { level?: LogLevel; write?: (line: string) => void; fields?: Record<string, unknown> } = {},
): AgentLogger {
  const minimum = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.fields ?? {};
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < minimum) return;
    const record = { time: new Date().toISOString(), level, msg, ...(redact({ ...base, ...fields }) as object) };
    try {
      write(JSON.stringify(record));
    } catch {
      // A log line that cannot be written (closed stdout) must not take the agent down.
    }
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => jsonLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** For tests and for CLI commands that print their own output. */
export const silentLogger: AgentLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
