/**
 * A two-host lab for kernel system tests: a "server" and a "client" network namespace joined by a
 * veth pair created directly inside them, so nothing ever appears in (or touches) the host's own
 * namespace. Rules and queue listeners live in the server namespace only.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelAddonStatus } from '@bulwark/kernel';
import { createNamespaces, type Namespaces, readJsonLines } from '../support/netns-lab.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface SkipOptions {
  /** Commands the tests run (looked up on the PATH of `env`). */
  readonly tools?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Reason to skip kernel system tests here, or undefined. In CI (CI set in `env`) a missing addon or
 * tool is a failure, not a skip: the CI machine installs everything.
 */
export function kernelSkipReason(feature: string, options: SkipOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  if (process.platform !== 'linux') return `needs Linux: ${feature}`;
  if (process.getuid?.() !== 0) return `needs root: ${feature}`;
  const addon = kernelAddonStatus();
  if (!addon.available) return missing(`bulwark-kernel addon must be built in CI: ${addon.reason}`, addon.reason, env);
  for (const tool of options.tools ?? []) {
    if (!onPath(tool, env))
      return missing(`${tool} must be installed in CI`, `needs ${tool} on the PATH: ${feature}`, env);
  }
  return undefined;
}

/** The skip reason; under CI, an error instead (a CI machine lacking a test's needs is broken). */
export function missing(ciError: string, reason: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CI) throw new Error(ciError);
  return reason;
}

export function onPath(tool: string, env: NodeJS.ProcessEnv): boolean {
  return spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', tool], { env, stdio: 'ignore' }).status === 0;
}

export interface Lab extends Namespaces {
  readonly server: string;
  readonly client: string;
  readonly serverAddress: string;
  readonly clientAddress: string;
}

let counter = 0;

export function createLab(tag: string): Lab {
  const id = `${tag}${process.pid % 100000}${counter++}`;
  const server = `bw-${id}-s`;
  const client = `bw-${id}-c`;
  const serverAddress = '10.231.0.1';
  const clientAddress = '10.231.0.2';
  const namespaces = createNamespaces(
    [server, client],
    [
      [
        { ns: server, dev: 'veth-s', address: `${serverAddress}/30` },
        { ns: client, dev: 'veth-c', address: `${clientAddress}/30` },
      ],
    ],
    15_000,
  );
  return { server, client, serverAddress, clientAddress, ...namespaces };
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
  const { lines, waitFor } = readJsonLines(child, {
    timedOut: (seen) => `timed out waiting; lines so far: ${JSON.stringify(seen)}`,
    exited: (seen) => `process exited; lines: ${JSON.stringify(seen)}`,
  });
  return {
    child,
    lines,
    waitFor,
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
