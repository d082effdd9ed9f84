import { createHash } from 'node:crypto';
import {
  type FileAccessEvent,
  type FileAccessEventType,
  type FileAccessMonitor,
  type FileIdentity,
  openFileAccessMonitor,
} from '@bulwark/kernel';
import {
  classifyExecutable,
  type Decision,
  decideExecution,
  type ExecutionPolicy,
  type FileFacts,
  type FileFactsCache,
  HEAD_BYTES,
  INTERPRETER_PATTERNS,
  ignorableUntilModified,
  isInterpreter,
  namedOnCommandLine,
  rememberedVerdict,
  settledAt,
} from '../engine/index.js';
import {
  commandLineOf,
  cwdOf,
  exeOf,
  type ProcessDetails,
  processDetails,
  runByPackageManager,
} from './process-facts.js';

/** Time a held exec or open may wait for our answer before the kernel package allows it (fail-open). */
export const DECISION_DEADLINE_MS = 3_000;
/** The largest file hashed while its exec waits; a larger one has no hash (path rules still apply). */
export const MAX_EXEC_HASH_BYTES = 256 * 1024 * 1024;
/**
 * Verdicts the kernel package keeps to answer executions of known files itself (no round trip to
 * this event loop): one entry per file and path judged, the oldest dropped first.
 */
export const KERNEL_VERDICT_CACHE_SIZE = 65_536;
/** Inode ignore marks placed at most (each pins an inode in memory); then all are flushed. */
export const MAX_IGNORE_MARKS = 8_192;
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

export interface JudgedExecution {
  readonly path: string;
  readonly pid: number;
  readonly via: 'exec' | 'interpreter';
  readonly facts: FileFacts & { readonly size: number };
  readonly decision: Decision;
  /** Who ran it, read while the process was still held (null for plain allows). */
  readonly who: ProcessDetails | null;
}

export interface EnforcerHooks {
  policy(): ExecutionPolicy;
  /** The inventory is built: before, nothing is blocked (there is nothing to compare with). */
  inventoryReady(): boolean;
  inInventory(sha256: string): boolean;
  /** Files that are never held: the agent's own runtime. */
  exempt(path: string): boolean;
  cache: FileFactsCache;
  now(): number;
  userName(uid: number): string | null;
  /** Called after the answer went back to the kernel. */
  judged(execution: JudgedExecution): void;
  /** A close-write notification of a file with an execute bit. */
  written(path: string, pid: number, file: FileIdentity): void;
}

export interface EnforcerCounters {
  checks: number;
  blocked: number;
  handlerErrors: number;
  hashed: number;
  tooLargeToHash: number;
  allowedBeforeInventory: number;
  /** Answered in the kernel package from a remembered verdict, reported here afterwards. */
  answeredInKernel: number;
  /** Of those, the ones whose file facts were no longer known here (counted, not reported). */
  answeredInKernelUnreported: number;
}

/**
 * Holds executions on the marked mounts through fanotify and answers each from the engine's
 * decision. The kernel package answers with the default (allow) when we do not in time, and
 * never asks about this process's own opens.
 */
/** Only `Enforcer.open` holds it: an enforcer exists only with its monitor opened. */
const OPENING: unique symbol = Symbol('Enforcer.open');

export class Enforcer {
  readonly #monitor: FileAccessMonitor;
  readonly #hooks: EnforcerHooks;
  readonly #ignoreMarks: boolean;
  readonly counters: EnforcerCounters = {
    checks: 0,
    blocked: 0,
    handlerErrors: 0,
    hashed: 0,
    tooLargeToHash: 0,
    allowedBeforeInventory: 0,
    answeredInKernel: 0,
    answeredInKernelUnreported: 0,
  };

  constructor(token: typeof OPENING, monitor: FileAccessMonitor, hooks: EnforcerHooks, ignoreMarks: boolean) {
    if (token !== OPENING) throw new TypeError('an Enforcer is made by Enforcer.open');
    this.#monitor = monitor;
    this.#hooks = hooks;
    this.#ignoreMarks = ignoreMarks;
  }

  static open(hooks: EnforcerHooks): { ok: true; enforcer: Enforcer } | { ok: false; reason: string } {
    let enforcer: Enforcer | undefined;
    // Diagnostic switch, for the bench's comparison of the two kernel-side answers.
    const ignoreMarks = process.env.BULWARK_APPCONTROL_IGNORE_MARKS !== '0';
    const opened = openFileAccessMonitor({
      deadlineMs: DECISION_DEADLINE_MS,
      defaultResponse: 'allow',
      // The agent's own children (nft, dpkg-query, journalctl…) are the agent: never held.
      allowOwnChildren: true,
      verdictCacheSize: KERNEL_VERDICT_CACHE_SIZE,
      maxIgnoreMarks: ignoreMarks ? MAX_IGNORE_MARKS : 0,
      onEvents: (events, monitor) => {
        for (const e of events) enforcer?.handle(e, monitor);
      },
    });
    if (!opened.available) return { ok: false, reason: opened.reason };
    enforcer = new Enforcer(OPENING, opened.value, hooks, ignoreMarks);
    return { ok: true, enforcer };
  }

  /** Marks each mount; returns the ones that failed with why. */
  mark(mounts: readonly string[], interpreters: boolean): { path: string; reason: string }[] {
    const events: FileAccessEventType[] = ['exec-permission', 'close-write'];
    if (interpreters) events.push('open-permission');
    const failed: { path: string; reason: string }[] = [];
    // Opens matter only when an interpreter makes them: the rest are allowed in the kernel package.
    const runners = this.#monitor.judgeOpensOnlyBy(interpreters ? INTERPRETER_PATTERNS : null);
    if (!runners.ok) failed.push({ path: '(interpreter filter)', reason: runners.reason });
    for (const m of mounts) {
      const r = this.#monitor.mark(m, 'mount', events);
      if (!r.ok) failed.push({ path: m, reason: r.reason });
    }
    return failed;
  }

  stats() {
    return this.#monitor.stats();
  }

  /** The rules, the inventory or the mode changed: no remembered verdict holds any more. */
  forgetVerdicts(): void {
    this.#monitor.clearVerdicts();
  }

  close(): void {
    this.#monitor.close();
  }

  handle(e: FileAccessEvent, monitor: FileAccessMonitor): void {
    if (!e.permission) {
      const f = e.file;
      if (f !== undefined && (f.mode & S_IFMT) === S_IFREG && (f.mode & 0o111) !== 0)
        this.#hooks.written(e.path, e.pid, f);
      return;
    }
    if (e.answered !== undefined) {
      this.#answeredInKernel(e);
      return;
    }
    let judged: JudgedExecution | null = null;
    try {
      judged = this.#judge(e, monitor);
    } catch {
      this.counters.handlerErrors++;
    }
    const block = judged !== null && judged.decision.verdict === 'block';
    monitor.respond(e.id, block ? 'deny' : 'allow', { untilModified: this.#ignorable(e, judged) });
    if (judged === null) return;
    this.counters.checks++;
    if (block) this.counters.blocked++;
    this.#remember(e, judged, monitor);
    this.#hooks.judged(judged);
  }

  #ignorable(e: FileAccessEvent, judged: JudgedExecution | null): boolean {
    if (!this.#ignoreMarks || judged === null || e.file === undefined) return false;
    return ignorableUntilModified(judged.decision, this.#hooks.policy(), e.file);
  }

  /** Hands a decision that depends only on the file and its path to the kernel package. */
  #remember(e: FileAccessEvent, judged: JudgedExecution, monitor: FileAccessMonitor): void {
    const file = e.file;
    if (file === undefined || e.path === '' || !settledAt(file, e.seenAtMs)) return;
    const remembered = rememberedVerdict(judged.decision, this.#hooks.policy().settings);
    if (remembered === null) return;
    try {
      monitor.cacheVerdict(file, e.path, remembered.response, remembered.notify);
    } catch {
      this.counters.handlerErrors++;
    }
  }

  /** The kernel package answered from a remembered verdict; report it as if judged here. */
  #answeredInKernel(e: FileAccessEvent): void {
    this.counters.answeredInKernel++;
    const facts = e.file === undefined ? undefined : this.#hooks.cache.get(e.file);
    if (e.file === undefined || facts === undefined) {
      this.counters.answeredInKernelUnreported++;
      return;
    }
    const policy = this.#hooks.policy();
    const subject = {
      path: e.path,
      sha256: facts.sha256,
      inInventory: facts.sha256 !== null && this.#hooks.inInventory(facts.sha256),
      byPackageManager: false,
    };
    const decision = decideExecution(policy, subject, this.#hooks.now());
    this.counters.checks++;
    if (e.answered === 'deny') this.counters.blocked++;
    const via = e.types.includes('exec-permission') ? 'exec' : 'interpreter';
    this.#hooks.judged({ path: e.path, pid: e.pid, via, facts: { ...facts, size: e.file.size }, decision, who: null });
  }

  #judge(e: FileAccessEvent, monitor: FileAccessMonitor): JudgedExecution | null {
    const file = e.file;
    if (file === undefined || (file.mode & S_IFMT) !== S_IFREG) return null;
    if (this.#hooks.exempt(e.path)) return null;
    const exec = e.types.includes('exec-permission');
    const policy = this.#hooks.policy();
    if (!exec) {
      // An open: only an interpreter or the loader opening the file it was told to run.
      if (!policy.settings.checkInterpreters) return null;
      const exe = exeOf(e.pid);
      if (exe === null || !isInterpreter(exe)) return null;
      if (!namedOnCommandLine(commandLineOf(e.pid), cwdOf(e.pid) ?? '/', e.path)) return null;
    }
    if (!this.#hooks.inventoryReady()) {
      this.counters.allowedBeforeInventory++;
      return null;
    }
    const facts = this.#facts(e, file, monitor);
    if (facts === null) return null;
    const now = this.#hooks.now();
    const subject = {
      path: e.path,
      sha256: facts.sha256,
      inInventory: facts.sha256 !== null && this.#hooks.inInventory(facts.sha256),
      byPackageManager: false,
    };
    let decision = decideExecution(policy, subject, now);
    if (decision.reason === 'unrecognized' && policy.settings.trustPackageManagers && runByPackageManager(e.pid))
      decision = decideExecution(policy, { ...subject, byPackageManager: true }, now);
    // Who ran it is read now, while the kernel still holds the process: after the answer it may be gone.
    const who =
      decision.verdict === 'allow' && !decision.joinInventory ? null : processDetails(e.pid, this.#hooks.userName);
    return { path: e.path, pid: e.pid, via: exec ? 'exec' : 'interpreter', facts, decision, who };
  }

  #facts(e: FileAccessEvent, file: FileIdentity, monitor: FileAccessMonitor): JudgedExecution['facts'] | null {
    const cached = this.#hooks.cache.get(file);
    if (cached !== undefined) return { ...cached, size: file.size };
    const head = monitor.read(e.id, 0, HEAD_BYTES);
    if (head === null) return null;
    const kind = classifyExecutable(head);
    let sha256: string | null = null;
    if (file.size > MAX_EXEC_HASH_BYTES) this.counters.tooLargeToHash++;
    else {
      const hash = createHash('sha256');
      let offset = 0;
      for (;;) {
        const chunk = monitor.read(e.id, offset, READ_CHUNK_BYTES);
        if (chunk === null) return null;
        if (chunk.length === 0) break;
        hash.update(chunk);
        offset += chunk.length;
        if (chunk.length < READ_CHUNK_BYTES) break;
      }
      sha256 = hash.digest('hex');
      this.counters.hashed++;
    }
    const facts: FileFacts = { sha256, kind: kind.kind === 'other' ? null : kind.kind };
    this.#hooks.cache.set(file, facts, this.#hooks.now());
    return { ...facts, size: file.size };
  }
}
