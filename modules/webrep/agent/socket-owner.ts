import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The local process behind a connection, as far as /proc tells (Linux). */
export interface SocketOwner {
  readonly uid: number;
  readonly pid?: number;
  readonly command?: string;
}

// Reading every process's fds is the price of a pid; bounded so a busy host is not stalled.
const MAX_PROCESSES_SCANNED = 4096;

/**
 * Finds the socket whose local end is `address:port` in /proc/net/tcp{,6} (its owner's uid and
 * inode), then the process holding that inode. Undefined when the socket is gone (a reset
 * connection closes fast) or /proc cannot be read.
 */
export function socketOwner(address: string, port: number): SocketOwner | undefined {
  const v6 = address.includes(':');
  let table: string;
  try {
    table = readFileSync(v6 ? '/proc/net/tcp6' : '/proc/net/tcp', 'utf8');
  } catch {
    return undefined;
  }
  const wanted = `${procAddress(address)}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] !== wanted) continue;
    const uid = Number(f[7]);
    const inode = f[9];
    const process = inode && inode !== '0' ? processOf(inode) : undefined;
    return { uid, ...process };
  }
  return undefined;
}

function processOf(inode: string): { pid: number; command: string } | undefined {
  const target = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  for (const pid of pids.slice(0, MAX_PROCESSES_SCANNED)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) {
          let command = '';
          try {
            command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
          } catch {}
          return { pid: Number(pid), command };
        }
      } catch {}
    }
  }
  return undefined;
}

/** /proc/net/tcp writes addresses as little-endian 32-bit words in hex. */
function procAddress(address: string): string {
  if (!address.includes(':'))
    return address
      .split('.')
      .map((n) => Number(n).toString(16).toUpperCase().padStart(2, '0'))
      .reverse()
      .join('');
  const bytes: number[] = [];
  const full = expand(address);
  for (const group of full) bytes.push(group >> 8, group & 0xff);
  let out = '';
  for (let w = 0; w < 4; w++)
    out += bytes
      .slice(w * 4, w * 4 + 4)
      .reverse()
      .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
      .join('');
  return out;
}

function expand(address: string): number[] {
  const [l, r] = address.includes('::') ? address.split('::') : [address, ''];
  const left = l ? l.split(':') : [];
  const right = r ? r.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => Number.parseInt(g, 16) || 0);
}
