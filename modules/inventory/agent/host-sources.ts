import { execFile } from 'node:child_process';
import { open, readdir, readFile, readlink } from 'node:fs/promises';
import { hostname, machine, release, version } from 'node:os';
import { join } from 'node:path';
import {
  type InventorySources,
  parseProcNet,
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

/**
 * The names of the processes holding the sockets `wanted` (listening ones), from /proc/<pid>/fd
 * links; processes we may not read are skipped. Processes are read in pid order, so a socket
 * several processes hold (a server's master and its workers) goes to the lowest pid, usually the
 * master, on every host and every run; the scan ends early once every wanted socket has an owner
 * (often it cannot: a socket the kernel holds, or one of a process in another PID namespace, has
 * none to find).
 */
async function socketOwners(proc: string, wanted: ReadonlySet<number>): Promise<Map<number, string>> {
  const owners = new Map<number, string>();
  if (wanted.size === 0) return owners;
  let pids: number[];
  try {
    pids = (await readdir(proc))
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return owners;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`${proc}/${pid}/fd`);
    } catch {
      continue;
    }
    let name: string | null = null;
    for (const fd of fds) {
      const target = await readlink(`${proc}/${pid}/fd/${fd}`).catch(() => '');
      const inode = target.startsWith('socket:[') ? Number(target.slice(8, -1)) : Number.NaN;
      if (!wanted.has(inode) || owners.has(inode)) continue;
      name ??= ((await readFile(`${proc}/${pid}/comm`, 'utf8').catch(() => '')) || String(pid)).trim();
      owners.set(inode, name);
      if (owners.size === wanted.size) return owners;
    }
  }
  return owners;
}

/** Inodes of the sockets the inventory lists (listening TCP, bound UDP), whose owners are wanted. */
function listeningInodes(procNet: InventorySources['procNet']): Set<number> {
  const inodes = new Set<number>();
  const tables = [
    [procNet.tcp, 'tcp', 'ipv4'],
    [procNet.tcp6, 'tcp', 'ipv6'],
    [procNet.udp, 'udp', 'ipv4'],
    [procNet.udp6, 'udp', 'ipv6'],
  ] as const;
  for (const [text, protocol, family] of tables)
    if (text !== null) for (const socket of parseProcNet(text, protocol, family).value) inodes.add(socket.inode);
  return inodes;
}

/** Reads every inventory source of this host; a missing source is null, never an error. */
export async function readHostSources(paths: HostPaths = defaultHostPaths): Promise<InventorySources> {
  const [tcp, tcp6, udp, udp6] = await Promise.all(
    ['net/tcp', 'net/tcp6', 'net/udp', 'net/udp6'].map((name) => readText(join(paths.proc, name))),
  );
  const procNet = { tcp: tcp ?? null, tcp6: tcp6 ?? null, udp: udp ?? null, udp6: udp6 ?? null };
  const [osRelease, dpkgStatus, passwd, owners, rpmQuery, units, unitFiles] = await Promise.all([
    readFirst(paths.osRelease),
    readText(paths.dpkgStatus),
    readText(paths.passwd),
    socketOwners(paths.proc, listeningInodes(procNet)),
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
    procNet,
    socketOwners: owners,
    systemctlUnits: units,
    systemctlUnitFiles: unitFiles,
    passwd,
  };
}
