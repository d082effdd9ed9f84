import { type ChannelStats, describeNativeError, loadAddon, type NativeHandle, type Opened } from './addon.js';
import { decodeBatch } from './batch-decoder.js';

/** Permission events wait for allow/deny; notification events only tell. */
export type FileAccessEventType =
  | 'open-permission'
  | 'exec-permission'
  | 'access-permission'
  | 'close-write'
  | 'open'
  | 'modify';
export type FileAccessResponse = 'allow' | 'deny';
/** inode: that file (or a directory's direct children); mount: the mount at path; filesystem: every mount of its filesystem. */
export type MarkScope = 'inode' | 'mount' | 'filesystem';

export interface FileAccessEvent {
  /** Answer permission events with this id; 0 for notification events. */
  readonly id: number;
  readonly types: readonly FileAccessEventType[];
  readonly permission: boolean;
  readonly pid: number;
  /** Path of the file as the kernel resolves it now ('' when it could not be resolved). */
  readonly path: string;
  /**
   * The file as the event's own descriptor saw it (fstat in the channel thread, so no path race);
   * absent when fstat failed. A verdict cache keys on it: a file replaced or rewritten since gets
   * another inode, size, mtime or ctime.
   */
  readonly file?: FileIdentity;
  /**
   * Present when the kernel package already answered this permission event from the verdict
   * cache (a cached verdict marked `notify`): for reports only, there is nothing to answer.
   */
  readonly answered?: FileAccessResponse;
  /** Wall-clock ms when the channel thread took the event, just before the fstat (0 if unknown). */
  readonly seenAtMs: number;
}

/** fstat of the event's descriptor. `ino` above 2^53 loses precision (not seen on Linux filesystems in use). */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  readonly ctimeSec: number;
  readonly ctimeNsec: number;
  readonly mode: number;
  readonly uid: number;
}

const FILE_IDENTITY_BYTES = 9 * 8;

/** The payload of a fanotify record (native/fanotify.c: nine doubles), or undefined. @internal */
export function fileIdentityOf(payload: Uint8Array): FileIdentity | undefined {
  if (payload.byteLength !== FILE_IDENTITY_BYTES) return undefined;
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const f = (i: number) => v.getFloat64(i * 8, true);
  return {
    dev: f(0),
    ino: f(1),
    size: f(2),
    mtimeSec: f(3),
    mtimeNsec: f(4),
    ctimeSec: f(5),
    ctimeNsec: f(6),
    mode: f(7),
    uid: f(8),
  };
}

/** The fields of a FileIdentity a cached verdict is keyed on (with the path). */
export type FileStampFields = Pick<
  FileIdentity,
  'dev' | 'ino' | 'size' | 'mtimeSec' | 'mtimeNsec' | 'ctimeSec' | 'ctimeNsec'
>;

/** Channel counts plus what was answered in the channel thread without JS. */
export interface FileAccessStats extends ChannelStats {
  /** Permission events answered from the verdict cache, and lookups that missed (went to JS). */
  readonly cacheHits: number;
  readonly cacheMisses: number;
  /** Misses where the file had an entry but had changed since (the entry was dropped). */
  readonly cacheStale: number;
  /** Entries dropped to keep the cache within its size. */
  readonly cacheEvicted: number;
  readonly cacheEntries: number;
  readonly cacheCapacity: number;
  readonly cacheAllowed: number;
  readonly cacheDenied: number;
  /** Opens (not executions) by programs that match no runner pattern, allowed in the thread. */
  readonly opensPassed: number;
  /** Inode ignore marks placed by `respond(…, { untilModified: true })`, and flushes of them all. */
  readonly ignoreMarks: number;
  readonly ignoreFlushes: number;
}

export interface FileAccessMonitorOptions {
  /** Time JS has to answer a permission event before the default applies (default 1000 ms). */
  readonly deadlineMs?: number;
  /** Answer when JS does not answer in time (default 'allow' = fail-open). */
  readonly defaultResponse?: FileAccessResponse;
  /** Permission events outstanding at once before the oldest gets its default early (default 1024). */
  readonly maxPending?: number;
  readonly batchSize?: number;
  /**
   * Allow permission events of this process's direct children at once, in C (default false).
   * Node's spawn blocks the event loop until the child has exec'd, so without it every program
   * the agent itself starts on a held mount waits for the deadline.
   */
  readonly allowOwnChildren?: boolean;
  /**
   * Verdicts kept in the channel thread (see cacheVerdict), at most this many; 0 (default) = off.
   * A hit is answered without a round trip to JS.
   */
  readonly verdictCacheSize?: number;
  /**
   * Inode ignore marks `respond(…, { untilModified: true })` may place, at most (default 0 = none).
   * At the bound all are flushed (clearVerdicts flushes them too) and placing starts over.
   */
  readonly maxIgnoreMarks?: number;
  readonly onEvents: (events: readonly FileAccessEvent[], monitor: FileAccessMonitor) => void;
  readonly onError?: (error: unknown) => void;
}

export interface FileAccessMonitor {
  /** Starts reporting the given events on path. Marks only what the caller names. */
  mark(
    path: string,
    scope: MarkScope,
    events: readonly FileAccessEventType[],
  ): { ok: true } | { ok: false; reason: string };
  unmark(
    path: string,
    scope: MarkScope,
    events: readonly FileAccessEventType[],
  ): { ok: true } | { ok: false; reason: string };
  /**
   * Answers a permission event; false when too late (the default was applied). untilModified
   * (allow only, with maxIgnoreMarks): the kernel itself allows later opens and executions of this
   * inode, by any path, without an event, until the file is written (an ignore mark on the inode,
   * cleared by the kernel on modification). Writes through a shared writable mapping do not count
   * as modification for fanotify: a caller that cares must not use it.
   */
  respond(id: number, response: FileAccessResponse, options?: { readonly untilModified?: boolean }): boolean;
  /**
   * Reads the file of a pending permission event through the descriptor the kernel opened for it
   * (reading it does not raise new events). null when the event is no longer pending.
   */
  read(id: number, offset: number, length: number): Buffer | null;
  /**
   * Lets the channel thread answer later permission events for this file at this path itself.
   * The entry holds while the file's size, mtime and ctime and its inode stay the same (a file
   * rewritten or renamed over misses and comes to JS again). A cached deny applies to executions
   * only. The caller must not cache a file whose ctime is too recent to tell a later write in the
   * same clock tick (see the appcontrol module's SETTLE_MS). notify: the event still comes to JS
   * afterwards, with `answered` set. Returns false when the cache is off or the monitor closed.
   */
  cacheVerdict(file: FileStampFields, path: string, response: FileAccessResponse, notify: boolean): boolean;
  /** Forgets every cached verdict (the rules changed). */
  clearVerdicts(): void;
  /**
   * Extended regular expressions on a program's file name (its /proc/PID/exe). Once set, an open
   * permission event (not an exec) by a program that matches none, or of something other than a
   * regular file, is allowed in the channel thread and never comes to JS. null: all come to JS.
   */
  judgeOpensOnlyBy(patterns: readonly string[] | null): { ok: true } | { ok: false; reason: string };
  stats(): FileAccessStats;
  /** Answers every outstanding permission event with the default and stops. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

/**
 * Opens a fanotify group (FAN_CLASS_CONTENT). Needs CAP_SYS_ADMIN. Events caused by this process
 * are allowed at once and not reported, so a handler may read files freely.
 */
export function openFileAccessMonitor(options: FileAccessMonitorOptions): Opened<FileAccessMonitor> {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return { available: false, reason: loaded.reason };
  const addon = loaded.addon;
  const c = addon.constants;
  const bits: Record<FileAccessEventType, number> = {
    'open-permission': k(c, 'FAN_OPEN_PERM'),
    'exec-permission': k(c, 'FAN_OPEN_EXEC_PERM'),
    'access-permission': k(c, 'FAN_ACCESS_PERM'),
    'close-write': k(c, 'FAN_CLOSE_WRITE'),
    open: k(c, 'FAN_OPEN'),
    modify: k(c, 'FAN_MODIFY'),
  };
  const permissionMask = bits['open-permission'] | bits['exec-permission'] | bits['access-permission'];
  const scopes: Record<MarkScope, number> = {
    inode: k(c, 'FAN_MARK_INODE'),
    mount: k(c, 'FAN_MARK_MOUNT'),
    filesystem: k(c, 'FAN_MARK_FILESYSTEM'),
  };
  let handle: NativeHandle | undefined;
  let closed = false;
  const changeMark = (remove: boolean, path: string, scope: MarkScope, events: readonly FileAccessEventType[]) => {
    if (closed || handle === undefined) return { ok: false as const, reason: 'fanotify: monitor closed' };
    let mask = 0;
    for (const e of events) mask |= bits[e];
    // Inode marks on a directory also cover its direct children.
    if (scope === 'inode') mask |= k(c, 'FAN_EVENT_ON_CHILD');
    try {
      addon.fanMark(handle, remove, scopes[scope], mask >>> 0, path);
      return { ok: true as const };
    } catch (error) {
      return { ok: false as const, reason: `${describeNativeError(error)} (${path})` };
    }
  };
  const monitor: FileAccessMonitor = {
    get closed() {
      return closed;
    },
    mark: (path, scope, events) => changeMark(false, path, scope, events),
    unmark: (path, scope, events) => changeMark(true, path, scope, events),
    respond(id, response, respondOptions) {
      if (closed || handle === undefined) return false;
      const allow = response === 'allow' ? (respondOptions?.untilModified ? k(c, 'ALLOW_UNTIL_MODIFIED') : 1) : 0;
      return addon.fanRespond(handle, Float64Array.of(id), Uint8Array.of(allow)) === 0;
    },
    read(id, offset, length) {
      if (closed || handle === undefined) return null;
      return addon.fanRead(handle, id, offset, length);
    },
    cacheVerdict(file, path, response, notify) {
      if (closed || handle === undefined || (options.verdictCacheSize ?? 0) <= 0) return false;
      const stamp = Float64Array.of(
        file.dev,
        file.ino,
        file.size,
        file.mtimeSec,
        file.mtimeNsec,
        file.ctimeSec,
        file.ctimeNsec,
      );
      const flags = (response === 'allow' ? k(c, 'VERDICT_ALLOW') : 0) | (notify ? k(c, 'VERDICT_NOTIFY') : 0);
      addon.fanCachePut(handle, stamp, path, flags);
      return true;
    },
    clearVerdicts() {
      if (!closed && handle !== undefined) addon.fanCacheClear(handle);
    },
    judgeOpensOnlyBy(patterns) {
      if (closed || handle === undefined) return { ok: false, reason: 'fanotify: monitor closed' };
      try {
        addon.fanRunners(handle, patterns === null ? null : [...patterns]);
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: describeNativeError(error) };
      }
    },
    stats() {
      if (handle === undefined) throw new Error('fanotify: not open');
      const s = addon.fanStats(handle);
      const n = (key: string) => s[key] ?? 0;
      return {
        ...s,
        cacheHits: n('cacheHits'),
        cacheMisses: n('cacheMisses'),
        cacheStale: n('cacheStale'),
        cacheEvicted: n('cacheEvicted'),
        cacheEntries: n('cacheEntries'),
        cacheCapacity: n('cacheCapacity'),
        cacheAllowed: n('cacheAllowed'),
        cacheDenied: n('cacheDenied'),
        opensPassed: n('opensPassed'),
        ignoreMarks: n('ignoreMarks'),
        ignoreFlushes: n('ignoreFlushes'),
      };
    },
    close() {
      if (closed || handle === undefined) return;
      closed = true;
      addon.fanClose(handle);
    },
  };
  const onBatch = (records: ArrayBuffer, data: ArrayBuffer, count: number) => {
    const events = decodeBatch(records, data, count).map((r): FileAccessEvent => {
      const types = (Object.keys(bits) as FileAccessEventType[]).filter((t) => (r.kind & bits[t]) !== 0);
      const file = fileIdentityOf(r.payload);
      // mark: 1/2 when the thread answered allow/deny from the verdict cache (native/fanotify.c).
      const answered: FileAccessResponse | undefined = r.mark === 1 ? 'allow' : r.mark === 2 ? 'deny' : undefined;
      const event = {
        id: r.ticket,
        types,
        permission: (r.kind & permissionMask) !== 0,
        pid: r.indev,
        path: r.text,
        seenAtMs: r.timeMs,
        ...(answered === undefined ? {} : { answered }),
      };
      return file === undefined ? event : { ...event, file };
    });
    try {
      options.onEvents(events, monitor);
    } catch (error) {
      options.onError?.(error);
    }
  };
  try {
    handle = addon.fanOpen(
      {
        deadlineMs: Math.max(1, Math.round(options.deadlineMs ?? 1000)),
        defaultAllow: (options.defaultResponse ?? 'allow') === 'allow',
        maxPending: options.maxPending ?? 1024,
        batchSize: options.batchSize ?? 64,
        allowOwnChildren: options.allowOwnChildren === true ? 1 : 0,
        verdictCacheSize: Math.max(0, Math.round(options.verdictCacheSize ?? 0)),
        maxIgnoreMarks: Math.max(0, Math.round(options.maxIgnoreMarks ?? 0)),
      },
      onBatch,
    );
  } catch (error) {
    return { available: false, reason: describeNativeError(error) };
  }
  return { available: true, value: monitor };
}

function k(constants: Readonly<Record<string, number>>, name: string): number {
  const v = constants[name];
  if (v === undefined) throw new Error(`bulwark-kernel: addon lacks constant ${name}`);
  return v;
}
