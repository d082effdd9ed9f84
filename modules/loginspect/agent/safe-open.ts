import { closeSync, constants, fstatSync, lstatSync, openSync, type Stats } from 'node:fs';

export type OpenOutcome =
  | { readonly ok: true; readonly fd: number; readonly stats: Stats }
  | { readonly ok: false; readonly reason: string; readonly missing: boolean };

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a fifo';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function errorReason(error: unknown): { reason: string; missing: boolean } {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  if (code === 'ENOENT') return { reason: 'missing', missing: true };
  if (code === 'EACCES' || code === 'EPERM')
    return { reason: `unreadable: permission denied (${code})`, missing: false };
  if (code === 'ELOOP') return { reason: 'a symbolic link, not followed (followSymlinks is off)', missing: false };
  if (code === 'ENOTDIR') return { reason: 'missing (a parent is not a directory)', missing: true };
  return { reason: `unreadable: ${(error as Error).message}`, missing: false };
}

/**
 * Opens a log file for reading only if it is a regular file. The path is looked at first (a
 * device can act on open), then opened non-blocking (a fifo swapped in meanwhile cannot block the
 * agent) and without following a final symbolic link unless allowed (a link to /etc/shadow must
 * not be shipped), and what was opened is checked again.
 */
export function openLogFile(path: string, followSymlinks: boolean): OpenOutcome {
  let before: Stats;
  try {
    before = lstatSync(path);
  } catch (error) {
    return { ok: false, ...errorReason(error) };
  }
  if (before.isSymbolicLink() && !followSymlinks)
    return { ok: false, reason: 'a symbolic link, not followed (followSymlinks is off)', missing: false };
  if (!before.isSymbolicLink() && !before.isFile())
    return { ok: false, reason: `${kindOf(before)}, not read`, missing: false };
  let fd: number;
  try {
    const flags = constants.O_RDONLY | constants.O_NONBLOCK | (followSymlinks ? 0 : constants.O_NOFOLLOW);
    fd = openSync(path, flags);
  } catch (error) {
    return { ok: false, ...errorReason(error) };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      return {
        ok: false,
        reason: `${kindOf(stats)}${before.isSymbolicLink() ? ' behind a symbolic link' : ''}, not read`,
        missing: false,
      };
    }
    return { ok: true, fd, stats };
  } catch (error) {
    closeSync(fd);
    return { ok: false, ...errorReason(error) };
  }
}
