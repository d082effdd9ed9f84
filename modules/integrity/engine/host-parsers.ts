import type { Entry } from './attributes.js';

/**
 * Parsers for the host files and tool outputs the non-file entity sets read. Pure and total:
 * any text in, entries out; lines that cannot be read are skipped and counted.
 */
export interface Parsed {
  readonly entries: Entry[];
  readonly skippedLines: number;
}

const MAX_FIELD = 1024;
const field = (s: string | undefined): string => (s ?? '').slice(0, MAX_FIELD);

/** /var/lib/dpkg/status: paragraphs of "Field: value"; key `dpkg:<name>:<arch>`. */
export function parseDpkgStatus(text: string): Parsed {
  const entries: Entry[] = [];
  let skippedLines = 0;
  for (const paragraph of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of paragraph.split('\n')) {
      if (line.startsWith(' ') || line.startsWith('\t') || line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        skippedLines += 1;
        continue;
      }
      fields.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const name = fields.get('package');
    const status = fields.get('status') ?? '';
    if (!name) continue;
    if (!/\binstalled$|half-configured$|unpacked$|half-installed$|triggers-(awaited|pending)$/.test(status)) continue;
    const architecture = field(fields.get('architecture'));
    entries.push({
      key: `dpkg:${field(name)}:${architecture}`,
      attributes: { version: field(fields.get('version')), architecture, status: field(status) },
    });
  }
  return { entries, skippedLines };
}

/** `rpm -qa --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n'`. */
export function parseRpmList(text: string): Parsed {
  const entries: Entry[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [name, version, architecture, extra] = line.split('\t');
    if (!name || !version || architecture === undefined || extra !== undefined) {
      skippedLines += 1;
      continue;
    }
    entries.push({
      key: `rpm:${field(name)}:${field(architecture)}`,
      attributes: { version: field(version), architecture: field(architecture), status: 'installed' },
    });
  }
  return { entries, skippedLines };
}

export interface ProcNetSocket {
  readonly protocol: 'tcp' | 'udp';
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly port: number;
  readonly inode: number;
}

function hexAddress(hex: string, family: 'ipv4' | 'ipv6'): string | undefined {
  if (family === 'ipv4') {
    if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
    const n = Number.parseInt(hex, 16);
    // The kernel prints the address in host byte order (little-endian here).
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
  }
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) return undefined;
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [word.slice(6, 8), word.slice(4, 6), word.slice(2, 4), word.slice(0, 2)].join('');
    groups.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  // Full form without '::' compression: one spelling per address keeps keys stable.
  return groups.map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
}

/** /proc/net/{tcp,tcp6,udp,udp6}: listening TCP sockets (state 0A) and bound UDP sockets (state 07). */
export function parseProcNet(
  text: string,
  protocol: 'tcp' | 'udp',
  family: 'ipv4' | 'ipv6',
): { sockets: ProcNetSocket[]; skippedLines: number } {
  const sockets: ProcNetSocket[] = [];
  let skippedLines = 0;
  const lines = text.split('\n');
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const columns = line.trim().split(/\s+/);
    const local = columns[1];
    const state = columns[3];
    const inode = Number(columns[9]);
    const [addressHex, portHex] = (local ?? '').split(':');
    const address = addressHex ? hexAddress(addressHex, family) : undefined;
    if (!address || !portHex || !/^[0-9A-Fa-f]{4}$/.test(portHex) || !state || !Number.isSafeInteger(inode)) {
      skippedLines += 1;
      continue;
    }
    const wanted = protocol === 'tcp' ? '0A' : '07';
    if (state.toUpperCase() !== wanted) continue;
    sockets.push({ protocol, family, address, port: Number.parseInt(portHex, 16), inode });
  }
  return { sockets, skippedLines };
}

/** /etc/passwd; key is the user name. Passwords are never read. */
export function parsePasswd(text: string): Parsed {
  const entries: Entry[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    const uid = Number(parts[2]);
    const gid = Number(parts[3]);
    if (parts.length !== 7 || !parts[0] || !/^\d+$/.test(parts[2] ?? '') || !/^\d+$/.test(parts[3] ?? '')) {
      skippedLines += 1;
      continue;
    }
    entries.push({ key: field(parts[0]), attributes: { uid, gid, home: field(parts[5]), shell: field(parts[6]) } });
  }
  return { entries, skippedLines };
}

/** /etc/group; members sorted so their order does not count as a change. */
export function parseGroup(text: string): Parsed {
  const entries: Entry[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    if (parts.length !== 4 || !parts[0] || !/^\d+$/.test(parts[2] ?? '')) {
      skippedLines += 1;
      continue;
    }
    const members = (parts[3] ?? '')
      .split(',')
      .filter((m) => m !== '')
      .sort()
      .join(',');
    entries.push({ key: field(parts[0]), attributes: { gid: Number(parts[2]), members: field(members) } });
  }
  return { entries, skippedLines };
}

/** /proc/modules: "name size refcount usedby state address". */
export function parseProcModules(text: string): Parsed {
  const entries: Entry[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [name, size, , usedBy] = line.split(/\s+/);
    if (!name || !size || !/^\d+$/.test(size)) {
      skippedLines += 1;
      continue;
    }
    const users =
      (usedBy ?? '-') === '-'
        ? ''
        : (usedBy ?? '')
            .split(',')
            .filter((u) => u !== '')
            .sort()
            .join(',');
    entries.push({ key: field(name), attributes: { size: Number(size), usedBy: field(users) } });
  }
  return { entries, skippedLines };
}

/**
 * `systemctl list-units --type=service --all --plain --no-legend --no-pager` (unit load active sub …)
 * joined with `systemctl list-unit-files --type=service --plain --no-legend --no-pager` (unit state …).
 */
export function parseSystemctl(units: string, unitFiles: string): Parsed {
  const enabled = new Map<string, string>();
  let skippedLines = 0;
  for (const line of unitFiles.split('\n')) {
    if (line.trim() === '') continue;
    const [unit, state] = line.trim().split(/\s+/);
    if (!unit || !state) skippedLines += 1;
    else enabled.set(unit, state);
  }
  const entries = new Map<string, Entry>();
  for (const line of units.split('\n')) {
    if (line.trim() === '') continue;
    const [unit, load, active, sub] = line
      .replace(/^[●*]\s*/, '')
      .trim()
      .split(/\s+/);
    if (!unit || !load || !active || !sub || !unit.includes('.')) {
      skippedLines += 1;
      continue;
    }
    entries.set(unit, {
      key: field(unit),
      attributes: {
        loadState: field(load),
        activeState: field(active),
        subState: field(sub),
        enabled: field(enabled.get(unit) ?? ''),
      },
    });
  }
  for (const [unit, state] of enabled) {
    if (!entries.has(unit) && !unit.includes('@'))
      entries.set(unit, {
        key: field(unit),
        attributes: { loadState: 'not-loaded', activeState: 'inactive', subState: 'dead', enabled: field(state) },
      });
  }
  return { entries: [...entries.values()], skippedLines };
}
