/**
 * A two-host lab for kernel system tests: a "server" and a "client" network namespace joined by a
 * veth pair created directly inside them, so nothing ever appears in (or touches) the host's own
 * namespace. Rules and queue listeners live in the server namespace only.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kernelAddonStatus } from '@bulwark/kernel';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Reason to skip kernel system tests here, or undefined. In CI a missing addon is a failure, not a skip. */
export function kernelSkipReason(feature: string): string | undefined {
  if (process.platform !== 'linux') return `needs Linux: ${feature}`;
  if (process.getuid?.() !== 0) return `needs root: ${feature}`;
  const addon = kernelAddonStatus();
  if (!addon.available) {
    if (process.env.CI) throw new Error(`bulwark-kernel addon must be built in CI: ${addon.reason}`);
    return addon.reason;
  }
  return undefined;
}

export interface Lab {
  readonly server: string;
  readonly client: string;
  readonly serverAddress: string;
  readonly clientAddress: string;
  /** Runs a command in a namespace; returns its exit code. */
  exec(
    ns: string,
    cmd: string,
    args: readonly string[],
    timeoutMs?: number,
  ): { code: number; stdout: string; stderr: string };
  destroy(): void;
}

let counter = 0;

export function createLab(tag: string): Lab {
  const id = `${tag}${process.pid % 100000}${counter++}`;
  const server = `bw-${id}-s`;
  const client = `bw-${id}-c`;
  const serverAddress = '10.231.0.1';
  const clientAddress = '10.231.0.2';
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const lab: Lab = {
    server,
    client,
    serverAddress,
    clientAddress,
    exec(ns, cmd, args, timeoutMs = 15_000) {
      const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    destroy() {
      for (const ns of [server, client]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    },
  };
  try {
    ip('netns', 'add', server);
    ip('netns', 'add', client);
    ip('link', 'add', 'veth-s', 'netns', server, 'type', 'veth', 'peer', 'name', 'veth-c', 'netns', client);
    ip('-n', server, 'addr', 'add', `${serverAddress}/30`, 'dev', 'veth-s');
    ip('-n', client, 'addr', 'add', `${clientAddress}/30`, 'dev', 'veth-c');
    for (const [ns, dev] of [
      [server, 'veth-s'],
      [client, 'veth-c'],
    ] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
  } catch (error) {
    lab.destroy();
    throw error;
  }
  return lab;
}

/** A long-running process in a namespace that speaks JSON lines on stdout. */
export interface LineProcess {
  readonly child: ChildProcess;
  readonly lines: unknown[];
  waitFor(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(line: object): void;
  stop(): Promise<void>;
}

export function spawnInNamespace(ns: string, args: readonly string[], env: Record<string, string> = {}): LineProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // A worker that already exited must not turn a late write into an uncaught EPIPE.
  child.stdin?.on('error', () => {});
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    predicate: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.predicate(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  return {
    child,
    lines,
    waitFor(predicate, timeoutMs = 20_000) {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting; lines so far: ${JSON.stringify(lines)}`)),
          timeoutMs,
        );
        const onExit = () => reject(new Error(`process exited; lines: ${JSON.stringify(lines)}`));
        child.once('exit', onExit);
        waiters.push({
          predicate,
          resolve: (l) => {
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve(l);
          },
        });
      });
    },
    send(line) {
      child.stdin?.write(`${JSON.stringify(line)}\n`);
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}
