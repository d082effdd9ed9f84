import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LocalOptions } from '@bulwark/protocol';

export const DEFAULT_LOCAL_OPTIONS_PATH = '/etc/bulwark/agent.conf';

const MAX_BYTES = 64 * 1024;
const KEY = /^[a-z][a-z0-9-]*\.[A-Za-z][A-Za-z0-9_.-]*$/;

export function resolveLocalOptionsPath(explicit?: string): string {
  return explicit ?? process.env.BULWARK_AGENT_CONFIG ?? DEFAULT_LOCAL_OPTIONS_PATH;
}

function options(source: string, values: ReadonlyMap<string, string>, problem?: string): LocalOptions {
  return { source, get: (key) => values.get(key), ...(problem === undefined ? {} : { problem }) };
}

/**
 * Who may change a file or directory: only root or the agent's own user, and no group or other
 * write bit. Otherwise a local user who is not an administrator could grant what the file grants.
 */
function unsafe(what: string, path: string, stats: { uid: number; mode: number }): string | undefined {
  const self = process.getuid?.() ?? 0;
  if (stats.uid !== 0 && stats.uid !== self) return `${what} ${path} is owned by uid ${stats.uid}, not root`;
  if ((stats.mode & 0o022) !== 0)
    return `${what} ${path} is writable by group or others (mode ${(stats.mode & 0o7777).toString(8)})`;
  return undefined;
}

/**
 * Reads the agent's local options: `<module>.<option> = <value>` lines, `#` comments, as OSSEC's
 * local_internal_options.conf. A missing file sets nothing. A file (or its directory) that a
 * non-root user could change is not used at all, and the problem says why; a malformed line is
 * skipped and named in the problem. Never throws.
 */
export function readLocalOptions(path: string): LocalOptions {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return options(path, new Map());
    const why = code === 'ELOOP' ? 'a symbolic link' : `unreadable (${code})`;
    return options(path, new Map(), `${path} is ${why}; its options are ignored`);
  }
  let text: string;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return options(path, new Map(), `${path} is not a regular file; its options are ignored`);
    const refused =
      unsafe('file', path, stats) ??
      (() => {
        try {
          return unsafe('directory', dirname(path), statSync(dirname(path)));
        } catch (error) {
          return `directory ${dirname(path)} cannot be checked (${(error as NodeJS.ErrnoException).code})`;
        }
      })();
    if (refused) return options(path, new Map(), `${refused}; its options are ignored`);
    if (stats.size > MAX_BYTES)
      return options(path, new Map(), `${path} is larger than ${MAX_BYTES} bytes; its options are ignored`);
    const buffer = Buffer.alloc(stats.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    text = buffer.subarray(0, read).toString('utf8');
  } catch (error) {
    return options(path, new Map(), `${path} cannot be read (${(error as Error).message}); its options are ignored`);
  } finally {
    closeSync(fd);
  }
  const values = new Map<string, string>();
  const bad: number[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!KEY.test(key)) {
      bad.push(index + 1);
      return;
    }
    values.set(key, line.slice(eq + 1).trim());
  });
  const problem =
    bad.length === 0
      ? undefined
      : `${path}: line${bad.length === 1 ? '' : 's'} ${bad.slice(0, 10).join(', ')} skipped (expected <module>.<option> = <value>)`;
  return options(path, values, problem);
}
