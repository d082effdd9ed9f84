import { runsInLinearTime } from '@bulwark/protocol/pcre2';
import { type Static, Type } from '@sinclair/typebox';

/**
 * Where the agent reads logs from. Kept apart from the other settings because the agent reads
 * this same schema: what the manager accepts is exactly what the agent is able to follow.
 */

export const DEFAULT_LOG_FILES = [
  '/var/log/auth.log',
  '/var/log/secure',
  '/var/log/syslog',
  '/var/log/messages',
  '/var/log/kern.log',
  '/var/log/audit/audit.log',
  '/var/log/dpkg.log',
  '/var/log/nginx/*.log',
  '/var/log/apache2/*.log',
  '/var/log/httpd/*_log',
  '/var/log/postgresql/*.log',
  '/var/log/mysql/error.log',
] as const;

const LogPath = Type.String({
  minLength: 2,
  maxLength: 1024,
  pattern: '^/[^\\x00]*$',
  description: 'An absolute path; `*` and `?` match within one path component, in any component',
});

export const MultilineSettings = Type.Object(
  {
    pattern: Type.String({ minLength: 1, maxLength: 512, description: 'A JavaScript regular expression' }),
    match: Type.Union([Type.Literal('after'), Type.Literal('before')], {
      description:
        '`after`: a line matching the pattern continues the line before it (stack traces: `^\\s`); `before`: a line matching the pattern continues into the next one (a trailing `\\\\`)',
    }),
    negate: Type.Optional(
      Type.Boolean({ description: 'A line NOT matching the pattern is the continuation (e.g. `^\\d{4}-` after)' }),
    ),
    maxLines: Type.Optional(
      Type.Integer({ minimum: 2, maximum: 1000, description: 'Lines per record at most (default 100)' }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 60_000,
        description: 'A record waiting for more lines is passed on after this long (default 3000)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type MultilineSettings = Static<typeof MultilineSettings>;

/**
 * A multi-line pattern compiled as the agent compiles it; throws a SyntaxError on a bad one, and
 * an Error on one that V8's linear-time engine cannot run (a backreference, a lookaround): the
 * agent's backtracking guard could not bound it, and one log line could stop the agent for
 * minutes. The manager checks saved settings with this same function, so it refuses exactly
 * what the agent would not follow.
 */
export function multilineRegExp(pattern: string): RegExp {
  const re = new RegExp(pattern);
  if (runsInLinearTime(pattern, '') === false)
    throw new Error(
      'it uses a backreference or a lookaround, which the backtracking guard cannot bound in time; write it without them',
    );
  return re;
}

export const FileSourceSettings = Type.Object(
  {
    path: LogPath,
    followSymlinks: Type.Optional(
      Type.Boolean({
        description: 'Follow a log path that is a symbolic link (off: such a path is reported, never read)',
      }),
    ),
    multiline: Type.Optional(MultilineSettings),
  },
  { additionalProperties: false },
);
export type FileSourceSettings = Static<typeof FileSourceSettings>;

export const CommandSourceSettings = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Events get `command:<name>` as location' }),
    argv: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      minItems: 1,
      maxItems: 64,
      description: 'Program and arguments, run without a shell; with `shell`, one item: the shell command line',
    }),
    alias: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[^\\x00-\\x1f\\x7f]*$',
        description:
          "Records read `ossec: output: '<alias>': <line>` as OSSEC's (Wazuh rules match on it, e.g. `netstat listening ports`); default: the command as written (`df -P`)",
      }),
    ),
    shell: Type.Optional(Type.Boolean({ description: 'Run argv[0] with /bin/sh -c (off by default)' })),
    intervalSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400, description: 'Default 300' })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'Default 30' })),
    maxOutputBytes: Type.Optional(
      Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, description: 'Output kept per run (default 1 MiB)' }),
    ),
    output: Type.Optional(
      Type.Union([Type.Literal('lines'), Type.Literal('full')], {
        description:
          '`lines`: each output line is an event candidate; `full`: the whole output is one (OSSEC full_command)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CommandSourceSettings = Static<typeof CommandSourceSettings>;

export const LogSources = Type.Object(
  {
    files: Type.Array(Type.Union([LogPath, FileSourceSettings]), {
      maxItems: 256,
      default: [...DEFAULT_LOG_FILES],
      description:
        'Log files to follow: a path or glob, or {path, followSymlinks, multiline}; missing, unreadable, non-regular and symlinked paths are reported in the module status',
    }),
    journald: Type.Boolean({ default: true, description: 'Also follow the systemd journal' }),
    journalStart: Type.Optional(
      Type.Union([Type.Literal('now'), Type.Literal('boot')], {
        description: 'Where the journal is first read from when no cursor is saved yet (default `now`)',
      }),
    ),
    journalUnits: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9@_.:\\\\-]{1,256}$' }), {
        maxItems: 64,
        description: 'Only these systemd units (default: the whole journal)',
      }),
    ),
    commands: Type.Optional(
      Type.Array(CommandSourceSettings, { maxItems: 32, description: 'Commands whose output is inspected' }),
    ),
  },
  { additionalProperties: false, default: { files: [...DEFAULT_LOG_FILES], journald: true } },
);
export type LogSources = Static<typeof LogSources>;
