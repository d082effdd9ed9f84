import { type ChildProcess, spawn } from 'node:child_process';
import { type JournalRecord, parseJournalLine } from './journal-entry.js';
import { LineSplitter } from './line-splitter.js';
import type { SourceProblem } from './source-problem.js';

export interface JournalSourceOptions {
  /** The journalctl program; tests put a fake one on PATH instead. */
  readonly command?: string;
  /** Where to begin when no cursor is saved: new entries only, or the whole current boot. */
  readonly start: 'now' | 'boot';
  readonly units?: readonly string[];
  /** Continue after this entry (saved by the last run). */
  readonly cursor: string | undefined;
  /**
   * Called for each entry; the cursor moves past the entry once this returned. `false` says the
   * entry was not taken (the event spool cannot store now): journalctl is stopped and started
   * again a little later after the last entry taken.
   */
  readonly onRecord: (record: JournalRecord) => unknown;
  readonly now?: () => number;
  /** First wait before journalctl is started again after it ended; doubles up to a minute. */
  readonly restartDelayMs?: number;
  /** Wait before reading again after an entry was not taken. */
  readonly retryDelayMs?: number;
}

/** A JSON entry is rarely more than a few KiB; a larger one is skipped, not held. */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024;
const MAX_RESTART_DELAY_MS = 60_000;

/**
 * Follows the systemd journal through `journalctl -o json --follow`, from the saved cursor
 * (`--after-cursor`) so that a restart neither skips nor repeats an entry. journalctl ending is
 * reported and it is started again, from the latest cursor, with a growing delay.
 */
export class JournalSource {
  readonly #options: JournalSourceOptions;
  #cursor: string | undefined;
  #child: ChildProcess | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #delay: number;
  #problem: SourceProblem | undefined;
  readonly counters = { entries: 0, badEntries: 0, restarts: 0 };

  constructor(options: JournalSourceOptions) {
    this.#options = options;
    this.#cursor = options.cursor;
    this.#delay = options.restartDelayMs ?? 5000;
  }

  /** The cursor of the last entry handed on. */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  get problem(): SourceProblem | undefined {
    return this.#problem;
  }

  /** journalctl's arguments for the current position. */
  arguments(): string[] {
    const args = ['--output=json', '--follow', '--all', '--no-pager'];
    if (this.#cursor !== undefined) args.push(`--after-cursor=${this.#cursor}`, '--lines=all');
    else if (this.#options.start === 'boot') args.push('--boot', '--lines=all');
    else args.push('--lines=0');
    for (const unit of this.#options.units ?? []) args.push(`--unit=${unit}`);
    return args;
  }

  start(): void {
    this.#stopped = false;
    this.#spawn();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  #spawn(): void {
    const command = this.#options.command ?? 'journalctl';
    const args = this.arguments();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const splitter = new LineSplitter(0, MAX_ENTRY_BYTES);
    let stderr = '';
    let received = false;
    let waiting = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (this.#stopped || waiting) return;
      splitter.push(chunk, (line) => {
        if (waiting) return;
        if (line.truncated) {
          this.counters.badEntries++;
          return;
        }
        if (line.text === '') return;
        received = true;
        if (this.#handle(line.text)) return;
        waiting = true;
        this.#problem = {
          source: 'journald',
          reason: 'waiting: the event spool cannot store events now; reading continues after the last entry stored',
        };
        child.kill('SIGTERM');
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = `${stderr}${chunk.toString('utf8')}`.slice(-2000);
    });
    let ended = false;
    const end = (reason: string): void => {
      if (ended || this.#stopped || this.#child !== child) return;
      ended = true;
      this.#child = undefined;
      if (waiting) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          if (!this.#stopped) this.#spawn();
        }, this.#options.retryDelayMs ?? 1000);
        this.#timer.unref();
        return;
      }
      this.#problem = { source: 'journald', reason };
      // A cursor of another journal (vacuumed, other machine id) is refused each time: start over.
      if (this.#cursor !== undefined && /cursor/i.test(stderr) && !received) this.#cursor = undefined;
      if (received) this.#delay = this.#options.restartDelayMs ?? 5000;
      this.counters.restarts++;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (!this.#stopped) this.#spawn();
      }, this.#delay);
      this.#timer.unref();
      this.#delay = Math.min(this.#delay * 2, MAX_RESTART_DELAY_MS);
    };
    child.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      end(
        code === 'ENOENT'
          ? `${command} not found: the journal cannot be read (turn sources.journald off on hosts without systemd)`
          : `${command} could not be started: ${error.message}`,
      );
    });
    child.on('close', (code, signal) => {
      const detail = stderr.trim().split('\n').at(-1)?.slice(0, 300) ?? '';
      end(`journalctl ended (${signal ?? `exit code ${code}`})${detail ? `: ${detail}` : ''}; it is started again`);
    });
  }

  /** False when the entry was not taken: the cursor stays before it. */
  #handle(text: string): boolean {
    const parsed = parseJournalLine(text, (this.#options.now ?? Date.now)());
    if (!parsed.ok) {
      this.counters.badEntries++;
      return true;
    }
    if (parsed.record) {
      if (this.#options.onRecord(parsed.record) === false) return false;
      this.counters.entries++;
    }
    this.#cursor = parsed.cursor;
    this.#problem = undefined;
    return true;
  }
}
