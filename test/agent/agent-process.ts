// Runs fixtures/agent-child.ts as a separate process that tests can kill with SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';

/** In spool mode the child commits after this many emits; a kill can leave at most that many unreported on disk. */
export const FLUSH_EVERY = 50;

const CHILD = new URL('./fixtures/agent-child.ts', import.meta.url).pathname;

export interface AgentProcess {
  readonly process: ChildProcess;
  /** Seqs the child reported emitted, i.e. committed to the spool (flushed): they must never be lost. */
  readonly emitted: number[];
  /** Resolves once `n` events in all were reported emitted. */
  waitFor(n: number): Promise<void>;
  /** Asks a daemon child for `n` more events. */
  emitMore(n: number): void;
  /** False once the process exited, whatever the cause. */
  readonly running: boolean;
  kill(): Promise<void>;
}

export function spawnAgentProcess(mode: 'spool' | 'daemon', path: string, count: number): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, path, String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const emitted: number[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^emitted (\d+)$/.exec(line);
      if (match) emitted.push(Number(match[1]));
    }
    for (const l of listeners) l();
  });
  /** How the process ended, e.g. "code 3" or "signal SIGKILL"; undefined while it runs. */
  let ending: string | undefined;
  // 'close', not 'exit': it comes once stdout is drained, so `emitted` holds every line the child wrote.
  const exited = new Promise<void>((resolve) =>
    child.once('close', (code, signal) => {
      ending = signal ? `signal ${signal}` : `code ${code}`;
      for (const l of listeners) l();
      resolve();
    }),
  );
  return {
    process: child,
    emitted,
    waitFor: (n) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (emitted.length >= n) {
            listeners.delete(check);
            resolve();
          } else if (ending !== undefined) {
            listeners.delete(check);
            reject(new Error(`agent process ${child.pid} ended (${ending}) after ${emitted.length} events`));
          }
        };
        listeners.add(check);
        check();
      }),
    emitMore: (n) => {
      child.stdin?.write(`emit ${n}\n`);
    },
    get running() {
      return ending === undefined;
    },
    kill: async () => {
      if (ending === undefined) child.kill('SIGKILL');
      await exited;
    },
  };
}
