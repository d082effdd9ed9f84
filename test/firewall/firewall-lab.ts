/**
 * A three-host lab for firewall system tests: the protected host "a" joined by veth pairs to two
 * clients, "b" (10.77.1.0/24, also used as the scanner) and "c" (10.77.2.0/24). Everything is
 * created inside namespaces made for the test; the nft table is applied in "a" only.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kernelAddonStatus } from '@bulwark/kernel';
import { type NamespaceProbe, namespaceProbeFailure } from '../support/namespace-feature.js';
import { createNamespaces, type Namespaces, readJsonLines } from '../support/netns-lab.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export function rootSkipReason(tools: readonly string[]): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux: network namespaces and nftables';
  if (process.getuid?.() !== 0) return 'needs root: network namespaces and nftables';
  for (const tool of tools) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      if (process.env.CI) throw new Error(`${tool} must be installed in CI`);
      return `needs ${tool} (apt-get install ${tool === 'nc' ? 'netcat-openbsd' : tool === 'nft' ? 'nftables' : tool})`;
    }
  }
  // A kernel without nf_tables fails the suite's set-up, which cancels its tests: try it first.
  return probeSkipReason('nft', 'nftables tables with timed sets');
}

function probeSkipReason(probe: NamespaceProbe, what: string): string | undefined {
  const failure = namespaceProbeFailure(probe);
  if (failure === undefined) return undefined;
  if (process.env.CI) throw new Error(`${what} must work in CI: ${failure}`);
  return `${what} do not work in a network namespace here: ${failure}`;
}

/**
 * As rootSkipReason, for tests that read the agent's events: NFLOG needs the kernel addon, and a CI
 * machine without it is broken rather than a reason to skip.
 */
export function nflogSkipReason(tools: readonly string[]): string | undefined {
  const root = rootSkipReason(tools);
  if (root) return root;
  const addon = kernelAddonStatus();
  if (!addon.available) {
    if (process.env.CI) throw new Error(`bulwark-kernel addon must be built in CI: ${addon.reason}`);
    return `needs the kernel addon for NFLOG: ${addon.reason}`;
  }
  return probeSkipReason('nflog', 'nft log group rules');
}

export const A_B = '10.77.1.1';
export const B = '10.77.1.2';
export const A_C = '10.77.2.1';
export const C = '10.77.2.2';

export interface Lab extends Namespaces {
  readonly a: string;
  readonly b: string;
  readonly c: string;
  /** Whether a TCP connection from `ns` to host:port completes within a second. */
  connects(ns: string, host: string, port: number): boolean;
}

let counter = 0;

export function createLab(): Lab {
  const id = `${process.pid % 100000}x${counter++}`;
  const [a, b, c] = ['a', 'b', 'c'].map((n) => `bwfw-${id}-${n}`) as [string, string, string];
  const namespaces = createNamespaces(
    [a, b, c],
    [
      [
        { ns: a, dev: 'veth-ab', address: `${A_B}/24` },
        { ns: b, dev: 'veth-ba', address: `${B}/24` },
      ],
      [
        { ns: a, dev: 'veth-ac', address: `${A_C}/24` },
        { ns: c, dev: 'veth-ca', address: `${C}/24` },
      ],
    ],
    30_000,
  );
  return {
    a,
    b,
    c,
    ...namespaces,
    connects: (ns, host, port) => namespaces.exec(ns, 'nc', ['-z', '-w', '1', host, String(port)], 5000).code === 0,
  };
}

/** TCP listeners in a namespace on the given ports; each connection gets "ok". */
export function listen(ns: string, ports: readonly number[]): ChildProcess {
  const code =
    "const net=require('node:net');for(const p of process.argv.slice(1))net.createServer(s=>{s.on('error',()=>{});s.end('ok\\n')}).listen(Number(p),'0.0.0.0');console.log('ready')";
  return spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code, ...ports.map(String)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

export async function waitReady(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      if (l.trim() === 'ready') resolve();
    });
    child.on('exit', (code) => reject(new Error(`listener exited with ${code}`)));
  });
}

/** The firewall agent running inside a namespace (worker), speaking JSON lines. */
export interface AgentWorker {
  readonly lines: Record<string, unknown>[];
  apply(body: object): Promise<Record<string, unknown>>;
  waitFor(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
  /** Sends a signal to the worker (SIGSTOP freezes it, SIGKILL kills it). */
  signal(signal: NodeJS.Signals): void;
}

/**
 * The agent module in a worker inside `ns`; `dataDir` is the module's data dir (a fresh one by
 * default), `managerUrl` the manager its context names (none by default).
 */
export function startAgentWorker(ns: string, dataDir?: string, managerUrl?: string): AgentWorker {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/firewall/agent-worker.ts'],
    {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        ...(dataDir ? { BWFW_DATA_DIR: dataDir } : {}),
        ...(managerUrl ? { BWFW_MANAGER_URL: managerUrl } : {}),
      },
    },
  );
  const { lines, waitFor } = readJsonLines(child, {
    timedOut: (seen) => `timed out; worker said: ${JSON.stringify(seen.slice(-8))}`,
  });
  let applies = 0;
  return {
    lines,
    waitFor,
    apply(body) {
      const n = ++applies;
      child.stdin?.write(`${JSON.stringify(body)}\n`);
      return waitFor((l) => l.applied === n);
    },
    signal(signal) {
      // ip netns exec execs node in place, so the child's pid is the worker's.
      child.kill(signal);
    },
    async stop() {
      child.stdin?.end();
      await new Promise((resolve) => {
        if (child.exitCode !== null) resolve(undefined);
        child.on('exit', resolve);
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}

/** A lab whose host "a" listens on some TCP ports and runs the agent module as a worker. */
export interface WorkerLab {
  readonly lab: Lab;
  readonly worker: AgentWorker;
  /** Stops the worker and the listeners, then removes the namespaces. */
  close(): Promise<void>;
}

export async function startWorkerLab(ports: readonly number[]): Promise<WorkerLab> {
  const lab = createLab();
  let listener: ChildProcess | undefined;
  try {
    listener = listen(lab.a, ports);
    await waitReady(listener);
  } catch (error) {
    // The caller never gets a close() to call, so the namespaces must go here.
    listener?.kill();
    lab.destroy();
    throw error;
  }
  const worker = startAgentWorker(lab.a);
  return {
    lab,
    worker,
    async close() {
      await worker.stop();
      listener?.kill();
      lab.destroy();
    },
  };
}

/** Polls a condition (e.g. a block reaching nft, which comes after its event) until it holds or the deadline passes. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether `address` is in the blocked set of the agent's table in namespace `ns`. */
export function inBlockedSet(lab: Lab, ns: string, address: string): boolean {
  const set = address.includes(':') ? 'blocked6' : 'blocked4';
  return lab.exec(ns, 'nft', ['list', 'set', 'inet', 'bulwark', set]).stdout.includes(address);
}
