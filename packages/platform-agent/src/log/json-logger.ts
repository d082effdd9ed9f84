import { hostname } from 'node:os';
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

/** pino's numbers, so the agent's lines read like the manager's (fastify logs through pino). */
const PINO_LEVEL: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/**
 * One JSON object per line, in the manager's (pino's) shape: `level` as pino's number, `time` in
 * epoch milliseconds, `pid`, `hostname`, `msg`, then the fields. One parser reads both.
 */
export function jsonLogger(
  options: { level?: LogLevel; write?: (line: string) => void; fields?: Record<string, unknown> } = {},
): AgentLogger {
  const minimum = PINO_LEVEL[options.level ?? 'info'];
  const process_ = { pid: process.pid, hostname: hostname() };
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.fields ?? {};
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (PINO_LEVEL[level] < minimum) return;
    const record = {
      level: PINO_LEVEL[level],
      time: Date.now(),
      ...process_,
      msg,
      ...(redact({ ...base, ...fields }) as object),
    };
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
