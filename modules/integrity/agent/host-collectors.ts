import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import {
  type CompiledRule,
  type EntityFilter,
  type Entry,
  type Parsed,
  parseDpkgStatus,
  parseGroup,
  parsePasswd,
  parseProcModules,
  parseProcNet,
  parseRpmList,
  parseSystemctl,
} from '../engine/index.js';

/** What a non-file entity set looks like now; `unavailable` when the host cannot say (no systemctl). */
export interface HostObservation {
  readonly entries: Map<string, Entry>;
  readonly skippedLines: number;
  readonly unavailable?: string;
}

const TOOL_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

/** Where host facts are read from; tests point these at fixtures. */
export interface HostSources {
  readonly root: string;
}

function run(command: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (error, stdout) => {
      resolve(error ? undefined : stdout);
    });
  });
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function toObservation(parsed: Parsed, filter: EntityFilter): HostObservation {
  const entries = new Map<string, Entry>();
  for (const e of parsed.entries) if (filter.includes(e.key)) entries.set(e.key, e);
  return { entries, skippedLines: parsed.skippedLines };
}

const unavailable = (reason: string): HostObservation => ({ entries: new Map(), skippedLines: 0, unavailable: reason });

/** Maps socket inodes to the name of a process holding them, by reading /proc/<pid>/fd. */
async function socketOwners(root: string): Promise<Map<number, string>> {
  const owners = new Map<number, string>();
  let pids: string[];
  try {
    pids = (await readdir(`${root}/proc`)).filter((p) => /^\d+$/.test(p));
  } catch {
    return owners;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`${root}/proc/${pid}/fd`);
    } catch {
      continue;
    }
    let name: string | undefined;
    for (const fd of fds) {
      const link = await readlink(`${root}/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (!match) continue;
      name ??= ((await readText(`${root}/proc/${pid}/comm`)) ?? '').trim() || `pid ${pid}`;
      owners.set(Number(match[1]), name);
    }
  }
  return owners;
}

async function collectPorts(rule: CompiledRule, filter: EntityFilter, root: string): Promise<HostObservation> {
  const protocols = rule.entity.kind === 'ports' && rule.entity.protocols ? rule.entity.protocols : ['tcp', 'udp'];
  const entries = new Map<string, Entry>();
  let skippedLines = 0;
  const owners = await socketOwners(root);
  let readAny = false;
  for (const protocol of protocols as ('tcp' | 'udp')[]) {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const text = await readText(`${root}/proc/net/${protocol}${family === 'ipv6' ? '6' : ''}`);
      if (text === undefined) continue;
      readAny = true;
      const parsed = parseProcNet(text, protocol, family);
      skippedLines += parsed.skippedLines;
      for (const s of parsed.sockets) {
        const key = `${protocol} ${family === 'ipv6' ? `[${s.address}]` : s.address}:${s.port}`;
        if (!filter.includes(key)) continue;
        entries.set(key, { key, attributes: { process: owners.get(s.inode) ?? '' } });
      }
    }
  }
  return readAny ? { entries, skippedLines } : unavailable('/proc/net is not readable');
}

async function collectProcesses(filter: EntityFilter, root: string): Promise<HostObservation> {
  const byExecutable = new Map<string, { users: Set<number>; count: number }>();
  let pids: string[];
  try {
    pids = (await readdir(`${root}/proc`)).filter((p) => /^\d+$/.test(p));
  } catch {
    return unavailable('/proc is not readable');
  }
  for (const pid of pids) {
    // Kernel threads have no executable; they are not processes an attacker starts from a file.
    const exe = await readlink(Buffer.from(`${root}/proc/${pid}/exe`), { encoding: 'buffer' }).catch(() => undefined);
    if (!exe) continue;
    const status = (await readText(`${root}/proc/${pid}/status`)) ?? '';
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const key = exe.toString('latin1').replace(/ \(deleted\)$/, '');
    if (!filter.includes(key)) continue;
    const seen = byExecutable.get(key) ?? { users: new Set<number>(), count: 0 };
    seen.users.add(uid);
    seen.count += 1;
    byExecutable.set(key, seen);
  }
  const entries = new Map<string, Entry>();
  for (const [key, seen] of byExecutable)
    entries.set(key, {
      key,
      attributes: { users: [...seen.users].sort((a, b) => a - b).join(','), count: seen.count },
    });
  return { entries, skippedLines: 0 };
}

/** Collects a non-file entity set. Never throws: what cannot be read is reported as unavailable. */
export async function collectHostEntities(
  rule: CompiledRule,
  filter: EntityFilter,
  sources: HostSources = { root: '' },
): Promise<HostObservation> {
  const root = sources.root;
  switch (rule.entity.kind) {
    case 'packages': {
      const managers = rule.entity.managers ?? ['dpkg', 'rpm'];
      const entries = new Map<string, Entry>();
      let skippedLines = 0;
      let found = false;
      if (managers.includes('dpkg')) {
        const status = await readText(`${root}/var/lib/dpkg/status`);
        if (status !== undefined) {
          found = true;
          const o = toObservation(parseDpkgStatus(status), filter);
          for (const [k, v] of o.entries) entries.set(k, v);
          skippedLines += o.skippedLines;
        }
      }
      if (managers.includes('rpm') && root === '') {
        const out = await run('rpm', ['-qa', '--qf', '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n']);
        if (out !== undefined) {
          found = true;
          const o = toObservation(parseRpmList(out), filter);
          for (const [k, v] of o.entries) entries.set(k, v);
          skippedLines += o.skippedLines;
        }
      }
      return found ? { entries, skippedLines } : unavailable('no dpkg or rpm database on this host');
    }
    case 'services': {
      if (root !== '') return unavailable('services are read from systemctl on the live host only');
      const units = await run('systemctl', [
        'list-units',
        '--type=service',
        '--all',
        '--plain',
        '--no-legend',
        '--no-pager',
      ]);
      const files = await run('systemctl', [
        'list-unit-files',
        '--type=service',
        '--plain',
        '--no-legend',
        '--no-pager',
      ]);
      if (units === undefined || files === undefined)
        return unavailable('systemctl is not available or systemd is not running');
      return toObservation(parseSystemctl(units, files), filter);
    }
    case 'users': {
      const text = await readText(`${root}/etc/passwd`);
      return text === undefined ? unavailable('/etc/passwd is not readable') : toObservation(parsePasswd(text), filter);
    }
    case 'groups': {
      const text = await readText(`${root}/etc/group`);
      return text === undefined ? unavailable('/etc/group is not readable') : toObservation(parseGroup(text), filter);
    }
    case 'kernel-modules': {
      const text = await readText(`${root}/proc/modules`);
      return text === undefined
        ? unavailable('/proc/modules is not readable')
        : toObservation(parseProcModules(text), filter);
    }
    case 'ports':
      return collectPorts(rule, filter, root);
    case 'processes':
      return collectProcesses(filter, root);
    case 'files':
      return unavailable('file rules are walked, not collected');
  }
}
