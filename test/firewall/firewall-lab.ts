/**
 * A three-host lab for firewall system tests: the protected host "a" joined by veth pairs to two
 * clients, "b" (10.77.1.0/24, also used as the scanner) and "c" (10.77.2.0/24). Everything is
 * created inside namespaces made for the test; the nft table is applied in "a" only.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

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
  return undefined;
}

export const A_B = '10.77.1.1';
export const B = '10.77.1.2';
export const A_C = '10.77.2.1';
export const C = '10.77.2.2';

export interface Lab {
  readonly a: string;
  readonly b: string;
  readonly c: string;
  exec(
    ns: string,
    cmd: string,
    args: readonly string[],
    timeoutMs?: number,
  ): { code: number; stdout: string; stderr: string };
  /** Whether a TCP connection from `ns` to host:port completes within a second. */
  connects(ns: string, host: string, port: number): boolean;
  destroy(): void;
}

let counter = 0;

export function createLab(): Lab {
  const id = `${process.pid % 100000}x${counter++}`;
  const [a, b, c] = ['a', 'b', 'c'].map((n) => `bwfw-${id}-${n}`) as [string, string, string];
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const lab: Lab = {
    a,
    b,
    c,
    exec(ns, cmd, args, timeoutMs = 30_000) {
      const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    connects(ns, host, port) {
      return this.exec(ns, 'nc', ['-z', '-w', '1', host, String(port)], 5000).code === 0;
    },
    destroy() {
      for (const ns of [a, b, c]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    },
  };
  try {
    for (const ns of [a, b, c]) ip('netns', 'add', ns);
    ip('link', 'add', 'veth-ab', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth-ba', 'netns', b);
    ip('link', 'add', 'veth-ac', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth-ca', 'netns', c);
    const up = (ns: string, dev: string, address: string) => {
      ip('-n', ns, 'addr', 'add', address, 'dev', dev);
      ip('-n', ns, 'link', 'set', dev, 'up');
    };
    up(a, 'veth-ab', `${A_B}/24`);
    up(b, 'veth-ba', `${B}/24`);
    up(a, 'veth-ac', `${A_C}/24`);
    up(c, 'veth-ca', `${C}/24`);
    for (const ns of [a, b, c]) ip('-n', ns, 'link', 'set', 'lo', 'up');
  } catch (error) {
    lab.destroy();
    throw error;
  }
  return lab;
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
}

export function startAgentWorker(ns: string): AgentWorker {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/firewall/agent-worker.ts'],
    {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
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
  const waitFor = (predicate: (l: Record<string, unknown>) => boolean, timeoutMs = 20_000) => {
    const seen = lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out; worker said: ${JSON.stringify(lines.slice(-8))}`)),
        timeoutMs,
      );
      waiters.push({
        predicate,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  };
  let applies = 0;
  return {
    lines,
    waitFor,
    apply(body) {
      const n = ++applies;
      child.stdin?.write(`${JSON.stringify(body)}\n`);
      return waitFor((l) => l.applied === n);
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
