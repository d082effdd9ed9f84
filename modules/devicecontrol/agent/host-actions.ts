import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type MountEntry, parseMountinfo } from '../engine/index.js';

const run = promisify(execFile);

/**
 * What the module does to the host, behind an interface so that the paths (sysfs root, /dev,
 * mountinfo) are parameters. Every call resolves to null on success or a sentence saying what
 * failed; nothing throws, so one failed step is reported and the others still run.
 */
export interface DeviceActions {
  /** Writes `authorized` (0 = the kernel unconfigures the device and unbinds its drivers). */
  setAuthorized(devpath: string, authorized: boolean): Promise<string | null>;
  /** Writes a root hub's `authorized_default` (0 = new devices below it wait unauthorized). */
  setAuthorizedDefault(hubDevpath: string, authorized: boolean): Promise<string | null>;
  /** The block device's read-only flag (BLKROSET, through util-linux `blockdev`). */
  setBlockReadOnly(name: string, readOnly: boolean): Promise<string | null>;
  /** `mount -o remount,ro|rw` of one mount point. */
  remount(mountPoint: string, readOnly: boolean): Promise<string | null>;
  /** What is mounted now. */
  mounts(): Promise<{ ok: true; value: MountEntry[] } | { ok: false; reason: string }>;
}

export interface HostPaths {
  readonly sysfsRoot: string;
  readonly devRoot: string;
  readonly mountinfoPath: string;
}

export const HOST_PATHS: HostPaths = { sysfsRoot: '/sys', devRoot: '/dev', mountinfoPath: '/proc/self/mountinfo' };

const TOOL_TIMEOUT_MS = 15_000;

function failure(what: string, error: unknown): string {
  const e = error as { stderr?: string; message?: string; code?: string };
  const detail = (e.stderr ?? '').trim() || e.message || String(error);
  return `${what}: ${detail.split('\n')[0]?.slice(0, 300)}`;
}

export class HostDeviceActions implements DeviceActions {
  readonly #paths: HostPaths;

  constructor(paths: HostPaths = HOST_PATHS) {
    this.#paths = paths;
  }

  async setAuthorized(devpath: string, authorized: boolean): Promise<string | null> {
    const file = join(this.#paths.sysfsRoot, devpath, 'authorized');
    try {
      await writeFile(file, authorized ? '1' : '0');
      return null;
    } catch (error) {
      return failure(`write ${authorized ? 1 : 0} to ${file}`, error);
    }
  }

  async setAuthorizedDefault(hubDevpath: string, authorized: boolean): Promise<string | null> {
    const file = join(this.#paths.sysfsRoot, hubDevpath, 'authorized_default');
    try {
      await writeFile(file, authorized ? '1' : '0');
      return null;
    } catch (error) {
      return failure(`write ${authorized ? 1 : 0} to ${file}`, error);
    }
  }

  async setBlockReadOnly(name: string, readOnly: boolean): Promise<string | null> {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) return `block device name ${JSON.stringify(name)} refused`;
    const node = join(this.#paths.devRoot, name);
    try {
      await run('blockdev', [readOnly ? '--setro' : '--setrw', node], { timeout: TOOL_TIMEOUT_MS });
      return null;
    } catch (error) {
      return failure(`blockdev ${readOnly ? '--setro' : '--setrw'} ${node}`, error);
    }
  }

  async remount(mountPoint: string, readOnly: boolean): Promise<string | null> {
    try {
      await run('mount', ['-o', readOnly ? 'remount,ro' : 'remount,rw', '--', mountPoint], {
        timeout: TOOL_TIMEOUT_MS,
      });
      return null;
    } catch (error) {
      return failure(`mount -o remount,${readOnly ? 'ro' : 'rw'} ${mountPoint}`, error);
    }
  }

  async mounts(): Promise<{ ok: true; value: MountEntry[] } | { ok: false; reason: string }> {
    try {
      const parsed = parseMountinfo(await readFile(this.#paths.mountinfoPath, 'utf8'));
      return parsed.ok ? parsed : { ok: false, reason: `${this.#paths.mountinfoPath}: ${parsed.error.message}` };
    } catch (error) {
      return { ok: false, reason: failure(`read ${this.#paths.mountinfoPath}`, error) };
    }
  }
}
