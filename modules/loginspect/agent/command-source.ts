import { type ChildProcess, spawn } from 'node:child_process';
import type { CommandSourceSettings } from '../engine/log-sources.js';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './line-splitter.js';
import type { LogRecord } from './multiline.js';
import type { SourceProblem } from './source-problem.js';

export const COMMAND_DEFAULTS = {
  intervalSeconds: 300,
  timeoutSeconds: 30,
  maxOutputBytes: 1024 * 1024,
} as const;

/** What OSSEC puts between `ossec: output: '` and `'`: the alias, else the command as written. */
export function commandLabel(settings: CommandSourceSettings): string {
  return settings.alias ?? (settings.shell ? (settings.argv[0] ?? '') : settings.argv.join(' '));
}

/**
 * One output line as OSSEC's logcollector feeds it to analysisd (`command` format), so that the
 * Wazuh rules on command output (`ossec: output: 'df -P': /dev/…`) match it.
 */
export function commandLine(label: string, line: string): string {
  return `ossec: output: '${label}': ${line}`;
}

/**
 * The whole output as OSSEC's `full_command` feeds it: the header on a line of its own, carriage
 * returns removed, runs of empty lines collapsed to one line break, the final line break dropped.
 * Undefined when there was no output (OSSEC sends nothing then).
 */
export function fullCommandRecord(label: string, output: string): string | undefined {
  if (output === '') return undefined;
  const body = output
    .replace(/\r/g, '')
    .replace(/\n{2,}/g, '\n')
    .replace(/\n$/, '');
  return `ossec: output: '${label}':\n${body}`;
}

/**
 * Runs a command at an interval and hands its output on, line by line or whole (OSSEC
 * `full_command`), in OSSEC's `ossec: output: '<alias or command>': …` form, with
 * `command:<name>` as location. Empty lines are skipped, as OSSEC does. The program is run
 * without a shell unless `shell` says so; a run is killed at its timeout, output past the cap is
 * dropped (and said so), and a run never overlaps the previous one.
 */
export class CommandSource {
  readonly location: string;
  readonly #label: string;
  readonly #settings: CommandSourceSettings;
  readonly #onRecord: (record: LogRecord, location: string) => void;
  #timer: NodeJS.Timeout | undefined;
  #child: ChildProcess | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #problem: SourceProblem | undefined;
  readonly counters = { runs: 0, failures: 0 };

  constructor(settings: CommandSourceSettings, onRecord: (record: LogRecord, location: string) => void) {
    this.#settings = settings;
    this.#onRecord = onRecord;
    this.location = `command:${settings.name}`;
    this.#label = commandLabel(settings);
  }

  get problem(): SourceProblem | undefined {
    return this.#problem;
  }

  /** Runs at once, then every interval. */
  start(): void {
    this.#stopped = false;
    const tick = (): void => {
      if (this.#stopped) return;
      if (!this.#running) this.#running = this.runOnce().finally(() => (this.#running = undefined));
      this.#timer = setTimeout(tick, (this.#settings.intervalSeconds ?? COMMAND_DEFAULTS.intervalSeconds) * 1000);
      this.#timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#child?.kill('SIGKILL');
    await this.#running;
  }

  /** One run; resolves when the command ended and its output was handed on. */
  runOnce(): Promise<void> {
    const s = this.#settings;
    const [program, ...rest] = s.shell ? ['/bin/sh', '-c', s.argv[0] ?? ''] : s.argv;
    const maxOutput = s.maxOutputBytes ?? COMMAND_DEFAULTS.maxOutputBytes;
    const full = s.output === 'full';
    this.counters.runs++;
    return new Promise<void>((resolve) => {
      const child = spawn(program as string, rest, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
      this.#child = child;
      const chunks: Buffer[] = [];
      let taken = 0;
      let clipped = false;
      let timedOut = false;
      let stderr = '';
      const splitter = new LineSplitter(0, DEFAULT_MAX_LINE_BYTES);
      const emitRecord = (record: LogRecord): void => this.#onRecord(record, this.location);
      const emitLine = (record: LogRecord): void => {
        if (record.text !== '') emitRecord({ ...record, text: commandLine(this.#label, record.text) });
      };
      child.stdout?.on('data', (chunk: Buffer) => {
        const room = maxOutput - taken;
        if (room <= 0) {
          clipped = true;
          return;
        }
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        if (part.length < chunk.length) clipped = true;
        taken += part.length;
        if (full) chunks.push(Buffer.from(part));
        else splitter.push(part, emitLine);
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = `${stderr}${chunk.toString('utf8')}`.slice(-1000);
      });
      const timer = setTimeout(
        () => {
          timedOut = true;
          child.kill('SIGKILL');
        },
        (s.timeoutSeconds ?? COMMAND_DEFAULTS.timeoutSeconds) * 1000,
      );
      let done = false;
      const finish = (failure: string | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#child = undefined;
        if (full) {
          const output = Buffer.concat(chunks);
          const text = fullCommandRecord(this.#label, output.toString('utf8'));
          if (text !== undefined)
            emitRecord({
              text: text.length > DEFAULT_MAX_LINE_BYTES ? text.slice(0, DEFAULT_MAX_LINE_BYTES) : text,
              end: output.length,
              truncated: clipped || text.length > DEFAULT_MAX_LINE_BYTES,
            });
        } else splitter.finish(emitLine);
        if (failure === undefined && clipped) failure = `output beyond ${maxOutput} bytes was dropped`;
        if (failure !== undefined) this.counters.failures++;
        this.#problem = failure === undefined ? undefined : { source: this.location, reason: failure };
        resolve();
      };
      child.on('error', (error) => {
        const code = (error as NodeJS.ErrnoException).code;
        finish(code === 'ENOENT' ? `${program} not found` : `${program} could not be started: ${error.message}`);
      });
      child.on('close', (code, signal) => {
        if (this.#stopped && signal === 'SIGKILL') return finish(undefined);
        if (timedOut)
          return finish(`killed after the ${s.timeoutSeconds ?? COMMAND_DEFAULTS.timeoutSeconds} s timeout`);
        if (signal) return finish(`ended by ${signal}`);
        if (code !== 0) {
          const detail = stderr.trim().split('\n').at(-1)?.slice(0, 200) ?? '';
          return finish(`exit code ${code}${detail ? `: ${detail}` : ''}`);
        }
        finish(undefined);
      });
    });
  }
}
