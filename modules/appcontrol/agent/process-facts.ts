import { readFileSync, readlinkSync } from 'node:fs';
import { isPackageManager, parseCommandLine } from '../engine/index.js';

/** Levels of parents looked at for a package manager. */
const MAX_ANCESTRY = 16;
/** Characters of a command line kept in an event. */
const MAX_COMMAND_LINE_CHARS = 1024;

/** Small synchronous reads of /proc/PID: the process is held by the kernel while we look. */
export function exeOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

export function commandLineOf(pid: number): string[] {
  try {
    return parseCommandLine(readFileSync(`/proc/${pid}/cmdline`));
  } catch {
    return [];
  }
}

export function cwdOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}

interface StatusFacts {
  readonly name: string;
  readonly ppid: number;
  readonly uid: number;
}

function statusOf(pid: number): StatusFacts | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
  return {
    name: field('Name'),
    ppid: Number.parseInt(field('PPid'), 10) || 0,
    uid: Number.parseInt(field('Uid'), 10),
  };
}

/** True when the process or one of its ancestors is dpkg, apt or another package manager. */
export function runByPackageManager(pid: number): boolean {
  let current = pid;
  for (let i = 0; i < MAX_ANCESTRY && current > 1; i++) {
    const status = statusOf(current);
    if (status === null) return false;
    if (isPackageManager(status.name)) return true;
    current = status.ppid;
  }
  return false;
}

/** Who ran it, for events: the process, its command line, its parent and its user. */
export interface ProcessDetails {
  readonly pid: number;
  readonly process: string | null;
  readonly commandLine: string;
  readonly parentPid: number | null;
  readonly parent: string | null;
  readonly uid: number | null;
  readonly user: string | null;
}

export function processDetails(pid: number, userName: (uid: number) => string | null): ProcessDetails {
  const status = statusOf(pid);
  const parentPid = status?.ppid ?? null;
  const uid = status !== null && Number.isFinite(status.uid) ? status.uid : null;
  return {
    pid,
    process: exeOf(pid),
    commandLine: commandLineOf(pid).join(' ').slice(0, MAX_COMMAND_LINE_CHARS),
    parentPid,
    parent: parentPid !== null && parentPid > 0 ? exeOf(parentPid) : null,
    uid,
    user: uid === null ? null : userName(uid),
  };
}

/** uid → name from /etc/passwd, read once per call of this function. */
export function readUserNames(): (uid: number) => string | null {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid !== undefined && /^\d+$/.test(uid)) names.set(Number(uid), name);
    }
  } catch {
    // No /etc/passwd: events carry the uid alone.
  }
  return (uid) => names.get(uid) ?? null;
}
