/**
 * What every network-namespace lab of the system tests shares: namespaces made for the test and
 * joined by veth pairs created directly inside them (nothing appears in the host's own namespace),
 * and the JSON-lines conversation with a process running in one of them.
 */
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One end of a veth pair: its namespace, device name and address with prefix length. */
export interface VethEnd {
  readonly ns: string;
  readonly dev: string;
  readonly address: string;
}

export interface Namespaces {
  /** Runs a command in a namespace; returns its exit code and output. */
  exec(
    ns: string,
    cmd: string,
    args: readonly string[],
    timeoutMs?: number,
  ): { code: number; stdout: string; stderr: string };
  destroy(): void;
}

/** Creates the namespaces and veth pairs, all links up; on any failure removes what it made and throws. */
export function createNamespaces(
  namespaces: readonly string[],
  veths: readonly (readonly [VethEnd, VethEnd])[],
  execTimeoutMs: number,
): Namespaces {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const lab: Namespaces = {
    exec: (ns, cmd, args, timeoutMs = execTimeoutMs) => {
      const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    destroy: () => {
      for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    },
  };
  try {
    for (const ns of namespaces) ip('netns', 'add', ns);
    for (const [near, far] of veths) {
      ip('link', 'add', near.dev, 'netns', near.ns, 'type', 'veth', 'peer', 'name', far.dev, 'netns', far.ns);
      for (const end of [near, far]) {
        ip('-n', end.ns, 'addr', 'add', end.address, 'dev', end.dev);
        ip('-n', end.ns, 'link', 'set', end.dev, 'up');
      }
    }
    for (const ns of namespaces) ip('-n', ns, 'link', 'set', 'lo', 'up');
  } catch (error) {
    lab.destroy();
    throw error;
  }
  return lab;
}

export type JsonLine = Record<string, unknown>;

export interface JsonLines {
  readonly lines: JsonLine[];
  waitFor(predicate: (line: JsonLine) => boolean, timeoutMs?: number): Promise<JsonLine>;
}

/**
 * Collects the JSON lines a child writes on stdout (other lines are ignored). `timedOut` words the
 * error of a wait that times out; with `exited`, a wait also fails as soon as the child exits.
 */
export function readJsonLines(
  child: ChildProcess,
  messages: { timedOut: (lines: JsonLine[]) => string; exited?: (lines: JsonLine[]) => string },
): JsonLines {
  const lines: JsonLine[] = [];
  const waiters: { predicate: (l: JsonLine) => boolean; resolve: (l: JsonLine) => void }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let line: JsonLine;
    try {
      line = JSON.parse(text) as JsonLine;
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
    lines,
    waitFor(predicate, timeoutMs = 20_000) {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(messages.timedOut(lines))), timeoutMs);
        const exited = messages.exited;
        const onExit = exited ? () => reject(new Error(exited(lines))) : undefined;
        if (onExit) child.once('exit', onExit);
        waiters.push({
          predicate,
          resolve: (l) => {
            clearTimeout(timer);
            if (onExit) child.off('exit', onExit);
            resolve(l);
          },
        });
      });
    },
  };
}
