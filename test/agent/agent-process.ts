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
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
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
          } else if (exitCode !== undefined) {
            listeners.delete(check);
            reject(new Error(`agent process exited (${exitCode}) after ${emitted.length} events`));
          }
        };
        listeners.add(check);
        check();
      }),
    emitMore: (n) => {
      child.stdin?.write(`emit ${n}\n`);
    },
    kill: async () => {
      if (exitCode === undefined) child.kill('SIGKILL');
      await exited;
    },
  };
}
