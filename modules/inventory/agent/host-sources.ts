import { execFile } from 'node:child_process';
import { open, readdir, readFile, readlink } from 'node:fs/promises';
import { hostname, machine, release, version } from 'node:os';
import { join } from 'node:path';
import {
  type InventorySources,
  RPM_QUERY_FORMAT,
  SYSTEMCTL_LIST_UNIT_FILES,
  SYSTEMCTL_LIST_UNITS,
} from '../engine/index.js';

/** Where the collector reads; tests point it at a prepared directory tree. */
export interface HostPaths {
  readonly osRelease: readonly string[];
  readonly dpkgStatus: string;
  readonly passwd: string;
  readonly proc: string;
  /** Runs a command and returns its stdout, or null when it is missing or fails. */
  readonly run: (command: string, args: readonly string[]) => Promise<string | null>;
}

const MAX_FILE_BYTES = 64 * 1024 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;
const COMMAND_TIMEOUT_MS = 60_000;

export const defaultHostPaths: HostPaths = {
  osRelease: ['/etc/os-release', '/usr/lib/os-release'],
  dpkgStatus: '/var/lib/dpkg/status',
  passwd: '/etc/passwd',
  proc: '/proc',
  run: runCommand,
};

function runCommand(command: string, args: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        timeout: COMMAND_TIMEOUT_MS,
        maxBuffer: MAX_FILE_BYTES,
        env: { ...process.env, LC_ALL: 'C', SYSTEMD_COLORS: '0' },
      },
      (error, stdout) => resolve(error ? null : stdout),
    );
  });
}

/** A file's text, or null when the host does not have it (that source is then reported missing). */
async function readText(path: string): Promise<string | null> {
  try {
    const handle = await open(path, 'r');
    try {
      // /proc files report size 0, so the text is read in chunks up to the cap rather than into a
      // buffer sized by stat (which allocated the whole cap for every /proc file).
      const chunks: Buffer[] = [];
      let total = 0;
      while (total < MAX_FILE_BYTES) {
        const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, MAX_FILE_BYTES - total));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        total += bytesRead;
      }
      return Buffer.concat(chunks, total).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

async function readFirst(paths: readonly string[]): Promise<string | null> {
  for (const path of paths) {
    const text = await readText(path);
    if (text !== null) return text;
  }
  return null;
}

/** Socket inode → process name, from /proc/<pid>/fd links; processes we may not read are skipped. */
async function socketOwners(proc: string): Promise<Map<number, string>> {
  const owners = new Map<number, string>();
  let pids: string[];
  try {
    pids = (await readdir(proc)).filter((name) => /^\d+$/.test(name));
  } catch {
    return owners;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(join(proc, pid, 'fd'));
    } catch {
      continue;
    }
    let name: string | null = null;
    for (const fd of fds) {
      const target = await readlink(join(proc, pid, 'fd', fd)).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (!match?.[1]) continue;
      name ??= ((await readFile(join(proc, pid, 'comm'), 'utf8').catch(() => '')) || pid).trim();
      owners.set(Number(match[1]), name);
    }
  }
  return owners;
}

/** Reads every inventory source of this host; a missing source is null, never an error. */
export async function readHostSources(paths: HostPaths = defaultHostPaths): Promise<InventorySources> {
  const [osRelease, dpkgStatus, passwd, tcp, tcp6, udp, udp6, owners, rpmQuery, units, unitFiles] = await Promise.all([
    readFirst(paths.osRelease),
    readText(paths.dpkgStatus),
    readText(paths.passwd),
    readText(join(paths.proc, 'net/tcp')),
    readText(join(paths.proc, 'net/tcp6')),
    readText(join(paths.proc, 'net/udp')),
    readText(join(paths.proc, 'net/udp6')),
    socketOwners(paths.proc),
    paths.run('rpm', ['-qa', '--queryformat', RPM_QUERY_FORMAT]),
    paths.run('systemctl', SYSTEMCTL_LIST_UNITS),
    paths.run('systemctl', SYSTEMCTL_LIST_UNIT_FILES),
  ]);
  return {
    collectedAt: new Date().toISOString(),
    hostname: hostname(),
    kernel: { release: release(), version: version(), machine: machine() },
    osRelease,
    dpkgStatus,
    rpmQuery,
    procNet: { tcp, tcp6, udp, udp6 },
    socketOwners: owners,
    systemctlUnits: units,
    systemctlUnitFiles: unitFiles,
    passwd,
  };
}
