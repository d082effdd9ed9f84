import { type FSWatcher, lstatSync, watch } from 'node:fs';
import {
  baseName,
  type CompiledRule,
  Debouncer,
  type FilesEntitySet,
  isWithin,
  joinBytePath,
  parentDirectory,
} from '../engine/index.js';
import type { CloseWriteWatch } from './close-write-watch.js';
import { depthBelow } from './file-walker.js';

export type FileRule = CompiledRule & { entity: FilesEntitySet };

export interface DueChange {
  readonly ruleId: string;
  readonly path: string;
}

export interface RealTimeOptions {
  readonly quietMs: number;
  readonly maxDelayMs: number;
  readonly maxWatches: number;
  readonly now: () => number;
  readonly onDue: (changes: readonly DueChange[]) => void;
  readonly onSkip: (reason: 'watch-limit' | 'watch-failed' | 'debounce-overflow') => void;
  /**
   * Opens fanotify close-write (CloseWriteWatch.open), used for a rule once one of its
   * directories cannot be watched for lack of watches. Absent: no fanotify.
   */
  readonly openCloseWrite?: (
    onPaths: (paths: readonly string[]) => void,
  ) => { ok: true; watch: CloseWriteWatch } | { ok: false; reason: string };
}

/** How far real time reaches: what the module reports in its status. */
export interface Coverage {
  readonly watchedDirectories: number;
  /** Directories no inotify watch could be set on because watches ran out (cap or kernel limit). */
  readonly unwatchedDirectories: number;
  /** Rules whose writes fanotify close-write reports, and the mounts marked for them. */
  readonly fanotifyRules: number;
  readonly fanotifyMounts: number;
  /** Why fanotify is not covering the unwatched directories, when it is not. */
  readonly fanotifyUnavailable?: string;
}

interface Watch {
  readonly watcher: FSWatcher;
  readonly ruleIds: Set<string>;
}

/**
 * Real-time watching of file rules with one inotify watch per directory (fs.watch, not
 * recursive: on Linux, Node 20's recursive mode is itself a per-directory emulation that cannot be
 * capped or told which directories failed). Notifications are debounced per (rule, path) and
 * handed to `onDue` in batches, so a rename's two names arrive together and a file rewritten in
 * a loop is checked once per quiet period.
 */
export class RealTimeMonitor {
  readonly #options: RealTimeOptions;
  readonly #watches = new Map<string, Watch>();
  readonly #rules = new Map<string, FileRule>();
  readonly #debouncer: Debouncer;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #unwatched = new Set<string>();
  #closeWrite: CloseWriteWatch | undefined;
  #closeWriteFailure: string | undefined;
  readonly #closeWriteRules = new Set<string>();

  constructor(options: RealTimeOptions) {
    this.#options = options;
    this.#debouncer = new Debouncer({ quietMs: options.quietMs, maxDelayMs: options.maxDelayMs, maxPending: 100_000 });
  }

  get watchedDirectories(): number {
    return this.#watches.size;
  }

  coverage(): Coverage {
    return {
      watchedDirectories: this.#watches.size,
      unwatchedDirectories: this.#unwatched.size,
      fanotifyRules: this.#closeWriteRules.size,
      fanotifyMounts: this.#closeWrite?.mounts ?? 0,
      ...(this.#unwatched.size > 0 && this.#closeWriteFailure ? { fanotifyUnavailable: this.#closeWriteFailure } : {}),
    };
  }

  /** Starts watching a rule: its directories from the last walk, or the parent of a file base. */
  addRule(rule: FileRule, directories: readonly string[]): void {
    this.#rules.set(rule.id, rule);
    if (directories.length === 0) this.#watch(parentDirectory(rule.entity.base), rule.id);
    else if (!directories.includes(rule.entity.base)) this.#watch(parentDirectory(rule.entity.base), rule.id);
    for (const d of directories) this.#watch(d, rule.id);
  }

  /**
   * Watches directories found by a real-time check. A directory watched only now may have
   * changed between the walk and the watch, so it is checked once more.
   */
  addDirectories(ruleId: string, directories: readonly string[]): void {
    if (!this.#rules.has(ruleId)) return;
    const now = this.#options.now();
    for (const d of directories) if (this.#watch(d, ruleId)) this.#debouncer.note(`${ruleId}\0${d}`, now);
    this.#arm();
  }

  removeRule(ruleId: string): void {
    this.#rules.delete(ruleId);
    this.#closeWriteRules.delete(ruleId);
    for (const [dir, w] of this.#watches) {
      w.ruleIds.delete(ruleId);
      if (w.ruleIds.size === 0) {
        w.watcher.close();
        this.#watches.delete(dir);
      }
    }
  }

  /** Returns true when a new watch was set up. */
  #watch(directory: string, ruleId: string): boolean {
    const existing = this.#watches.get(directory);
    if (existing) {
      existing.ruleIds.add(ruleId);
      return false;
    }
    if (this.#watches.size >= this.#options.maxWatches) {
      this.#outOfWatches(directory, ruleId);
      return false;
    }
    let watcher: FSWatcher;
    try {
      watcher = watch(Buffer.from(directory, 'latin1'), { encoding: 'buffer', persistent: false }, (_event, name) =>
        this.#notify(directory, name ? (name as unknown as Buffer).toString('latin1') : undefined),
      );
    } catch (error) {
      // ENOSPC: the kernel's fs.inotify.max_user_watches (shared with every other process of
      // this user) ran out. ENOENT (gone already), EACCES: scheduled scans still cover it.
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') this.#outOfWatches(directory, ruleId);
      else this.#options.onSkip('watch-failed');
      return false;
    }
    this.#unwatched.delete(directory);
    watcher.on('error', () => {
      watcher.close();
      if (this.#watches.get(directory)?.watcher === watcher) this.#watches.delete(directory);
      // The directory itself changed (usually removed); check it.
      this.#notify(directory, undefined);
    });
    this.#watches.set(directory, { watcher, ruleIds: new Set([ruleId]) });
    return true;
  }

  /** A directory left without a watch: counted, and the rule's mount handed to fanotify. */
  #outOfWatches(directory: string, ruleId: string): void {
    this.#options.onSkip('watch-limit');
    this.#unwatched.add(directory);
    if (this.#closeWriteRules.has(ruleId) || this.#closeWriteFailure !== undefined) return;
    const rule = this.#rules.get(ruleId);
    if (!rule || !this.#options.openCloseWrite) return;
    if (!this.#closeWrite) {
      const opened = this.#options.openCloseWrite((paths) => this.#closeWritten(paths));
      if (!opened.ok) {
        this.#closeWriteFailure = opened.reason;
        return;
      }
      this.#closeWrite = opened.watch;
    }
    const marked = this.#closeWrite.cover(rule.entity.base);
    if (marked.ok) this.#closeWriteRules.add(ruleId);
    else this.#closeWriteFailure = marked.reason;
  }

  /** Files written and closed on a marked mount: checked like an inotify notification. */
  #closeWritten(paths: readonly string[]): void {
    if (this.#closed) return;
    const now = this.#options.now();
    for (const path of paths) this.#noteFor(this.#closeWriteRules, path, false, now);
    this.#arm();
  }

  #relevant(rule: FileRule, path: string): boolean {
    const base = rule.entity.base;
    if (!isWithin(path, base)) return false;
    const maxDepth = rule.entity.recursive === false ? 1 : (rule.entity.maxDepth ?? Number.POSITIVE_INFINITY);
    return depthBelow(base, path) <= maxDepth;
  }

  #notify(directory: string, name: string | undefined): void {
    if (this.#closed) return;
    const watch = this.#watches.get(directory);
    const ruleIds = watch ? watch.ruleIds : new Set(this.#rules.keys());
    const path = name === undefined ? directory : joinBytePath(directory, name);
    // inotify reports a watched directory's own removal or move under its own name; the
    // directory itself is checked too, so removing a rule's base directory is noticed.
    const paths = name !== undefined && name === baseName(directory) ? [path, directory] : [path];
    const now = this.#options.now();
    for (const p of paths) this.#noteFor(ruleIds, p, name !== undefined, now);
    this.#arm();
  }

  #noteFor(ruleIds: ReadonlySet<string>, path: string, named: boolean, now: number): void {
    for (const ruleId of ruleIds) {
      const rule = this.#rules.get(ruleId);
      if (!rule || !this.#relevant(rule, path)) continue;
      // A new directory is watched at once, before its debounced check walks it, so files
      // created in it meanwhile are not missed.
      if (named && !this.#watches.has(path) && rule.entity.recursive !== false && isDirectory(path))
        this.#watch(path, ruleId);
      if (!this.#debouncer.note(`${ruleId}\0${path}`, now)) this.#options.onSkip('debounce-overflow');
    }
  }

  #arm(): void {
    if (this.#timer || this.#closed) return;
    const next = this.#debouncer.nextDueAt();
    if (next === undefined) return;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next - this.#options.now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const due = this.#debouncer.takeDue(this.#options.now()).map((k) => {
      const nul = k.indexOf('\0');
      return { ruleId: k.slice(0, nul), path: k.slice(nul + 1) };
    });
    if (due.length > 0) this.#options.onDue(due);
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const w of this.#watches.values()) w.watcher.close();
    this.#watches.clear();
    this.#closeWrite?.close();
    this.#closeWrite = undefined;
    this.#rules.clear();
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(Buffer.from(path, 'latin1')).isDirectory();
  } catch {
    return false;
  }
}
