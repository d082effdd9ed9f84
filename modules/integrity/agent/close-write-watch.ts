import { statSync } from 'node:fs';
import { type FileAccessMonitor, openFileAccessMonitor } from '@bulwark/kernel';

/**
 * fanotify close-write on whole mounts, for the directories inotify cannot watch.
 *
 * What it adds: one mount mark reports every file closed after writing anywhere on that mount,
 * with no per-directory watch, so it has no watch limit and needs no walk to set up. What it
 * cannot do: the kernel wrapper opens a classic fanotify group (an open descriptor per event, no
 * FID reporting), which reports nothing for unlink, rename, mkdir, chmod or chown. Those stay
 * with inotify where a watch exists and with scheduled scans where none does. It also does not
 * report writes made by this process (the wrapper drops them) or through another mount of the
 * same filesystem (a bind mount, another namespace), and costs one event for every file written
 * on the mount, relevant or not — which is why it is used only where inotify falls short.
 */
/** Held by this file alone: only `CloseWriteWatch.open` can construct a watch (ECMAScript has no private constructor). */
const OPENING: unique symbol = Symbol('CloseWriteWatch.open');

export class CloseWriteWatch {
  readonly #monitor: FileAccessMonitor;
  /** Device numbers of the mounts already marked, so each is marked once. */
  readonly #devices = new Set<number>();

  constructor(token: typeof OPENING, monitor: FileAccessMonitor) {
    if (token !== OPENING) throw new TypeError('a CloseWriteWatch is made by CloseWriteWatch.open');
    this.#monitor = monitor;
  }

  /** Opens the fanotify group, or says why it cannot (no addon, no CAP_SYS_ADMIN, old kernel). */
  static open(
    onPaths: (paths: readonly string[]) => void,
  ): { ok: true; watch: CloseWriteWatch } | { ok: false; reason: string } {
    const opened = openFileAccessMonitor({
      onEvents: (events) => {
        const paths: string[] = [];
        for (const e of events) {
          // The path comes as text; a name that is not UTF-8 arrives mangled (U+FFFD) and is
          // left to inotify and the scans. Keys are byte strings (one char per byte).
          if (!e.path.startsWith('/') || e.path.includes('\uFFFD')) continue;
          const path = e.path.endsWith(' (deleted)') ? e.path.slice(0, -' (deleted)'.length) : e.path;
          paths.push(Buffer.from(path, 'utf8').toString('latin1'));
        }
        if (paths.length > 0) onPaths(paths);
      },
    });
    if (!opened.available) return { ok: false, reason: opened.reason };
    return { ok: true, watch: new CloseWriteWatch(OPENING, opened.value) };
  }

  get mounts(): number {
    return this.#devices.size;
  }

  /** Marks the mount that holds `path` (a rule's base) for close-write, once per mount. */
  cover(path: string): { ok: true } | { ok: false; reason: string } {
    let device: number;
    try {
      device = statSync(Buffer.from(path, 'latin1')).dev;
    } catch (error) {
      return { ok: false, reason: `fanotify: cannot stat ${path}: ${(error as Error).message}` };
    }
    if (this.#devices.has(device)) return { ok: true };
    const marked = this.#monitor.mark(Buffer.from(path, 'latin1').toString('utf8'), 'mount', ['close-write']);
    if (marked.ok) this.#devices.add(device);
    return marked;
  }

  close(): void {
    this.#monitor.close();
  }
}
