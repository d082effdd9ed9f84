/**
 * The agent's footprint: `bulwark-agent --help` and `--version` (CPU time and peak RSS from
 * /usr/bin/time, best and worst of five), and the idle daemon's memory against a real manager
 * (a test manager on 127.0.0.1, SQLite), with the policy's defaults and with every module on.
 * The peer is bare Node.js in the same run: `node -e 0` for the commands, an idle
 * `node -e 'setInterval(…)'` for the daemon. The daemon is the bundle `npm run build` writes,
 * started as the unit starts it (`bulwark-agent run`), with memory-probe.mjs preloaded: once the
 * manager reports the computer `managed` with every module's status in, the benchmark waits
 * for the RSS to settle and asks the probe for process.memoryUsage(), V8's heap spaces and
 * /proc/self/status before and after a full GC.
 *
 * `npm run bench:footprint` (root: the daemon's modules want it; `-- --only default` or
 * `-- --only all`). Every module on means tap mode: nothing is blocked on this host, and the
 * agent is deactivated at the end (its kernel hooks removed).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestManager, type TestManager } from '../../test/manager/manager-harness.js';
import { agentBin, eventually, SYSTEM } from '../../test/manager/real-agent-process.js';

const run = promisify(execFile);
const probe = new URL('./memory-probe.mjs', import.meta.url).pathname;
const option = (name: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const only = option('--only');
/** V8/Node flags the daemon runs with, as the package's launcher gives them (packaging/contents.mjs). */
const nodeFlags = (option('--node-flags') ?? '').split(/\s+/).filter(Boolean);

interface CommandFigures {
  readonly cpuSeconds: readonly number[];
  readonly peakRssMb: readonly number[];
}

/** Five runs of a command under /usr/bin/time: CPU (user + system) and peak RSS of each. */
async function timeCommand(args: readonly string[]): Promise<CommandFigures> {
  const cpuSeconds: number[] = [];
  const peakRssMb: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { stderr } = await run('/usr/bin/time', ['-f', 'BENCH %U %S %M', ...args]);
    const [user, system, kb] = (/BENCH (\S+) (\S+) (\d+)/.exec(stderr) ?? []).slice(1).map(Number);
    cpuSeconds.push(Math.round(((user ?? 0) + (system ?? 0)) * 100) / 100);
    peakRssMb.push(Math.round((kb ?? 0) / 1024));
  }
  return { cpuSeconds, peakRssMb };
}

const range = (values: readonly number[]) => `${Math.min(...values)}–${Math.max(...values)}`;

function statusOf(pid: number): { rssMb: number; anonMb: number; fileMb: number; threads: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return {
    rssMb: Math.round(kb('VmRSS') / 1024),
    anonMb: Math.round(kb('RssAnon') / 1024),
    fileMb: Math.round(kb('RssFile') / 1024),
    threads: kb('Threads'),
  };
}

/**
 * Waits until the RSS has stayed within 0.5 MB for 10 s (read every second), at most 120 s: an
 * RSS still falling (pages given back after start-up) is not idle either.
 */
async function settled(pid: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  const window: number[] = [];
  const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  while (Date.now() < deadline) {
    window.push(rssKb());
    if (window.length > 11) window.shift();
    if (window.length === 11 && Math.max(...window) - Math.min(...window) <= 512) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  console.log(`  (the RSS of ${pid} did not settle within 120 s: last readings ${window.join(', ')} kB)`);
}

/** RSS by mapping (the file, or [heap], [anon]…), the largest first: where the file-backed pages are. */
function mappings(pid: number): string {
  const totals = new Map<string, number>();
  let current = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    // The node binary by segment (its code, its read-only data), everything else by file.
    if (head) current = head[1]?.endsWith('/node') ? `node ${line.split(' ')[1]}` : head[1] || '[anon]';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) totals.set(current, (totals.get(current) ?? 0) + Number(rss[1]));
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, kb]) => `${name.replace(/^.*\//, '')} ${(kb / 1024).toFixed(1)}`)
    .join(', ');
}

async function idleNode(): Promise<ReturnType<typeof statusOf>> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    await settled(child.pid as number);
    console.log(`  RSS MB by mapping: ${mappings(child.pid as number)}`);
    return statusOf(child.pid as number);
  } finally {
    child.kill('SIGTERM');
  }
}

async function policy(t: TestManager, everything: boolean): Promise<string> {
  const { services } = t.manager;
  const created = await services.policies.create({ name: everything ? 'all modules' : 'defaults' }, SYSTEM);
  if (!created.ok) throw new Error('policy not created');
  const target = { kind: 'policy' as const, id: created.value.id };
  // Tap mode: an agent under measurement never blocks traffic on this host.
  const set = async (key: string, value: unknown) => {
    const r = await services.settings.set(target, key, value, SYSTEM);
    if (!r.ok) throw new Error(`${key}: ${JSON.stringify(r)}`);
  };
  await set('platform.networkEngineMode', 'tap');
  if (everything)
    for (const m of services.modules.list()) if ('enabled' in m.defaults) await set(`${m.id}.enabled`, true);
  return created.value.id;
}

async function daemon(t: TestManager, everything: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-footprint-agent-'));
  try {
    return await measureDaemon(t, everything, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureDaemon(t: TestManager, everything: boolean, dir: string) {
  const probeOut = join(dir, 'probe.jsonl');
  const token = await t.manager.services.activationTokens.create(
    { name: 'footprint', policyId: await policy(t, everything) },
    SYSTEM,
  );
  if (!token.ok) throw new Error('token not created');
  const activated = await run(process.execPath, [
    agentBin,
    'activate',
    '--manager',
    t.manager.agentUrl,
    '--token',
    token.value.token,
    '--data-dir',
    dir,
    '--json',
  ]);
  const { computerId } = JSON.parse(activated.stdout) as { computerId: string };
  const child = spawn(
    process.execPath,
    [...nodeFlags, '--expose-gc', '--import', probe, agentBin, 'run', '--data-dir', dir, '--log-level', 'warn'],
    // MALLOC_ARENA_MAX as the systemd unit sets it (packages/platform-agent/systemd).
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { MALLOC_ARENA_MAX: '2', ...process.env, BULWARK_MEMORY_PROBE_OUT: probeOut },
    },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  try {
    const enabled = everything ? t.manager.services.modules.list().filter((m) => 'enabled' in m.defaults).length : 0;
    const computer = await eventually(
      async () => {
        const c = await t.manager.services.computers.get(computerId);
        return c.ok ? c.value : null;
      },
      (c) => c?.status === 'managed' && c.modules.filter((m) => m.state !== 'off').length >= enabled,
      180_000,
      `the agent managed (output: ${output})`,
    );
    await settled(child.pid as number);
    const proc = statusOf(child.pid as number);
    const where = mappings(child.pid as number);
    child.kill('SIGUSR2');
    await eventually(
      async () => {
        try {
          return readFileSync(probeOut, 'utf8');
        } catch {
          return '';
        }
      },
      (text) => text.includes('\n'),
      10_000,
      'the memory probe answering',
    );
    const heap = JSON.parse(readFileSync(probeOut, 'utf8').split('\n')[0] as string);
    return { proc, heap, where, modules: computer?.modules.map((m) => `${m.id}:${m.state}`) ?? [] };
  } finally {
    const ended = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await ended;
    await run(process.execPath, [agentBin, 'deactivate', '--force', '--data-dir', dir]).catch((e) =>
      console.error(`deactivate: ${e.stderr}`),
    );
  }
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; node ${process.version}; daemon flags: ${nodeFlags.join(' ') || 'none'}`,
);
const bare = await timeCommand([process.execPath, '-e', '0']);
const help = await timeCommand([process.execPath, agentBin, '--help']);
const version = await timeCommand([process.execPath, agentBin, '--version']);
console.log(`node -e 0:              CPU ${range(bare.cpuSeconds)} s, peak RSS ${range(bare.peakRssMb)} MB`);
console.log(`bulwark-agent --help:    CPU ${range(help.cpuSeconds)} s, peak RSS ${range(help.peakRssMb)} MB`);
console.log(`bulwark-agent --version: CPU ${range(version.cpuSeconds)} s, peak RSS ${range(version.peakRssMb)} MB`);
const node = await idleNode();
console.log(`idle node (peer): ${JSON.stringify(node)}`);
const t = await startTestManager();
try {
  for (const everything of [false, true]) {
    if (only !== undefined && only !== (everything ? 'all' : 'default')) continue;
    const d = await daemon(t, everything);
    console.log(
      `idle daemon, ${everything ? 'every module on' : 'policy defaults'}: ${JSON.stringify(d.proc)}; ratio to idle node ${(d.proc.rssMb / node.rssMb).toFixed(2)}`,
    );
    console.log(`  modules: ${d.modules.join(' ')}`);
    console.log(`  RSS MB by mapping: ${d.where}`);
    console.log(`  before GC: ${JSON.stringify(d.heap.before)}`);
    console.log(`  after GC:  ${JSON.stringify(d.heap.after)}`);
  }
} finally {
  await t.close();
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
