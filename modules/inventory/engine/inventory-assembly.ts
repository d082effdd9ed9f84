import type { Inventory, ListeningPort } from '@bulwark/protocol';
import { parseDpkgStatus } from './dpkg-status.js';
import { parseOsRelease } from './os-release.js';
import { clip } from './parsed.js';
import { parsePasswd } from './passwd.js';
import { parseProcNet } from './proc-net.js';
import { parseRpmQuery } from './rpm-query.js';
import { mergeServices, parseSystemctlUnitFiles, parseSystemctlUnits } from './systemctl.js';

/** Raw text of every source the agent read; null where the host has no such source. */
export interface InventorySources {
  readonly collectedAt: string;
  readonly hostname: string;
  readonly kernel: { readonly release: string; readonly version?: string; readonly machine: string };
  readonly osRelease: string | null;
  readonly dpkgStatus: string | null;
  readonly rpmQuery: string | null;
  readonly procNet: {
    readonly tcp: string | null;
    readonly tcp6: string | null;
    readonly udp: string | null;
    readonly udp6: string | null;
  };
  /** Socket inode → name of the process holding it, as far as the agent could see. */
  readonly socketOwners: ReadonlyMap<number, string>;
  readonly systemctlUnits: string | null;
  readonly systemctlUnitFiles: string | null;
  readonly passwd: string | null;
}

export interface AssembledInventory {
  readonly inventory: Inventory;
  /** Unreadable lines per source. */
  readonly skipped: Readonly<Record<string, number>>;
  /** Sources the host does not have (no rpm, no systemd...). */
  readonly missing: readonly string[];
}

/** Turns the raw sources into the inventory document: pure, so it is tested without a host. */
export function assembleInventory(sources: InventorySources): AssembledInventory {
  const skipped: Record<string, number> = {};
  const missing: string[] = [];
  const read = <T>(
    name: string,
    text: string | null,
    parse: (t: string) => { value: T; skipped: number },
    empty: T,
  ): T => {
    if (text === null) {
      missing.push(name);
      return empty;
    }
    const parsed = parse(text);
    if (parsed.skipped > 0) skipped[name] = parsed.skipped;
    return parsed.value;
  };

  const os = read('os-release', sources.osRelease, parseOsRelease, { id: 'linux', name: 'Linux' });
  const packages = [
    ...read('dpkg', sources.dpkgStatus, parseDpkgStatus, []),
    ...read('rpm', sources.rpmQuery, parseRpmQuery, []),
  ];
  const sockets = [
    ...read('tcp', sources.procNet.tcp, (t) => parseProcNet(t, 'tcp', 'ipv4'), []),
    ...read('tcp6', sources.procNet.tcp6, (t) => parseProcNet(t, 'tcp', 'ipv6'), []),
    ...read('udp', sources.procNet.udp, (t) => parseProcNet(t, 'udp', 'ipv4'), []),
    ...read('udp6', sources.procNet.udp6, (t) => parseProcNet(t, 'udp', 'ipv6'), []),
  ];
  const ports = new Map<string, ListeningPort>();
  for (const socket of sockets) {
    const key = `${socket.port.protocol}/${socket.port.family}/${socket.port.address}/${socket.port.port}`;
    const owner = sources.socketOwners.get(socket.inode);
    const existing = ports.get(key);
    if (existing && (existing.process || !owner)) continue;
    ports.set(key, owner ? { ...socket.port, process: clip(owner, 256) } : socket.port);
  }
  const units = read('systemctl-units', sources.systemctlUnits, parseSystemctlUnits, []);
  const unitFiles = read('systemctl-unit-files', sources.systemctlUnitFiles, parseSystemctlUnitFiles, new Map());
  const users = read('passwd', sources.passwd, parsePasswd, []);

  // By code point, not localeCompare: the same order on every host whatever its locale, and the
  // agent does not page in ICU's collation data (2.4 MB of its RSS) to sort ASCII names.
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const byName = (a: { name: string }, b: { name: string }) => order(a.name, b.name);
  const listeningPorts = [...ports.values()].sort(
    (a, b) =>
      order(a.protocol, b.protocol) || order(a.family, b.family) || a.port - b.port || order(a.address, b.address),
  );
  return {
    inventory: {
      collectedAt: sources.collectedAt,
      hostname: clip(sources.hostname, 256),
      os,
      kernel: {
        release: clip(sources.kernel.release, 256),
        ...(sources.kernel.version ? { version: clip(sources.kernel.version, 512) } : {}),
        machine: clip(sources.kernel.machine, 64),
      },
      packages: packages.sort((a, b) => byName(a, b) || order(a.manager, b.manager)).slice(0, 100_000),
      listeningPorts: listeningPorts.slice(0, 65_536),
      services: mergeServices(units, unitFiles).sort(byName).slice(0, 20_000),
      users: users.slice(0, 100_000),
    },
    skipped,
    missing,
  };
}
