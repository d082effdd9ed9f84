/**
 * npm run bench:appcontrol — 10,000 runs of a small static binary on a tmpfs mounted for the
 * bench: with no monitor, with fapolicyd (Debian package, permissive, its shipped rules), and
 * with Bulwark's application control (block-unrecognized, the binary in the inventory, exec and
 * interpreter checks on). Reports the microseconds each adds per exec and the ratio.
 *
 * The machine is shared, so an exec costs more or less from one second to the next. Each figure
 * is therefore a difference taken in the same moment: batches of runs of the same binary from a
 * ramfs (which neither monitor watches: fapolicyd's watch_fs has no ramfs) alternate with batches
 * from the monitored tmpfs, and the added cost is the median of the per-pair differences.
 * The configurations are interleaved: BENCH_ROUNDS rounds (default 3), each running no monitor,
 * Bulwark, Bulwark without kernel ignore marks (verdict cache in the fanotify thread only) and
 * fapolicyd in turn, so that a change of load over the run falls on all of them alike.
 * Beside the wall time, the CPU time each monitor spends per exec (its own process: this one for
 * Bulwark, less what this process spends with no monitor; fapolicyd's from /proc/PID/stat) is
 * reported: it depends less on the load.
 * Needs root, gcc with static libc, and fapolicyd installed (apt-get install fapolicyd).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentModule } from '@bulwark/module-appcontrol/agent';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { AgentModuleContext, NewEvent, PlatformSettings } from '@bulwark/protocol';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 50);
const here = new URL('.', import.meta.url).pathname;

if (process.getuid?.() !== 0) {
  console.error('bench:appcontrol needs root (tmpfs mount, fanotify, fapolicyd)');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'bulwark-appcontrol-bench-'));
const mnt = join(work, 'mnt');
mkdirSync(mnt);
const loop = join(work, 'exec-loop');
execFileSync('gcc', ['-O2', '-o', loop, join(here, 'exec-loop.c')]);
const plain = join(work, 'plain');
mkdirSync(plain);
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0755', 'bulwark-appcontrol-bench', mnt]);
execFileSync('mount', ['-t', 'ramfs', '-o', 'mode=0755', 'bulwark-appcontrol-bench-plain', plain]);
mkdirSync(join(mnt, 'bin'));
const tiny = join(mnt, 'bin', 'tiny');
const unwatched = join(plain, 'tiny');
execFileSync('gcc', ['-O2', '-static', '-o', tiny, join(here, 'tiny.c')]);
copyFileSync(tiny, unwatched);
execFileSync('chmod', ['755', unwatched]);

/** Mean ns per exec of `RUNS` runs, from a child process (this event loop stays free). */
function measure(program: string, runs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(loop, [String(runs), program], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', () => {
      const [ns, failures] = out.trim().split(' ').map(Number);
      if (failures !== 0) reject(new Error(`${failures} of ${runs} runs of ${program} failed`));
      else resolve(ns as number);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const pairsPerRound = Math.max(1, Math.round(PAIRS / ROUNDS));
const runsPerBatch = Math.max(1, Math.round(RUNS / (pairsPerRound * ROUNDS)));

/** What one configuration gathered over the rounds. */
interface Samples {
  readonly base: number[];
  readonly diffs: number[];
  cpuMicros: number;
  execs: number;
  measuredCpu: boolean;
}
const samples = new Map<string, Samples>();

/** One round of one configuration: batches from the unwatched ramfs and the watched tmpfs, alternating. */
async function round(label: string, cpuMicros: () => number | null): Promise<void> {
  const s = samples.get(label) ?? { base: [], diffs: [], cpuMicros: 0, execs: 0, measuredCpu: false };
  samples.set(label, s);
  for (let i = 0; i < pairsPerRound; i++) {
    const a = await measure(unwatched, runsPerBatch);
    const before = cpuMicros();
    const b = await measure(tiny, runsPerBatch);
    const after = cpuMicros();
    if (before !== null && after !== null) {
      s.cpuMicros += after - before;
      s.measuredCpu = true;
    }
    s.execs += runsPerBatch;
    s.base.push(a);
    s.diffs.push(b - a);
  }
}

interface Figure {
  readonly label: string;
  /** Median µs per exec from the unwatched ramfs. */
  readonly baseUs: number;
  /** Median of the per-pair differences, µs per exec. */
  readonly addedUs: number;
  /** CPU µs the measured process spent per exec on the watched mount; null when not measured. */
  readonly cpuUs: number | null;
}

function figure(label: string): Figure | undefined {
  const s = samples.get(label);
  if (s === undefined || s.diffs.length === 0) return undefined;
  const f = {
    label,
    baseUs: median(s.base) / 1000,
    addedUs: median(s.diffs) / 1000,
    cpuUs: s.measuredCpu ? s.cpuMicros / s.execs : null,
  };
  const sorted = [...s.diffs].sort((x, y) => x - y).map((d) => d / 1000);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]?.toFixed(1);
  console.log(
    `${label.padEnd(22)} exec ${f.baseUs.toFixed(1)} µs unwatched; added ${f.addedUs.toFixed(1)} µs ` +
      `(per-pair differences: quartiles ${q(0.25)} / ${q(0.75)}, ${s.diffs.length} pairs x ${runsPerBatch} runs each side)` +
      (f.cpuUs === null ? '' : `; process CPU ${f.cpuUs.toFixed(1)} µs per exec`),
  );
  return f;
}

/** Medians of differences can fall below zero when the cost is under the noise: print the sign. */
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

const ownCpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// ---- fapolicyd, permissive: it decides and logs every exec but denies nothing. It runs as root
// here (its switch to the fapolicyd user fails in this VM: "Cannot change to uid"), so its
// database directory is lent to root for the run and given back after.
const CONF = '/etc/fapolicyd/fapolicyd.conf';
const DB_DIR = '/var/lib/fapolicyd';
async function fapolicydRound(label: string): Promise<string | null> {
  if (!existsSync('/usr/sbin/fapolicyd')) return 'fapolicyd not installed (apt-get install fapolicyd)';
  const original = readFileSync(CONF, 'utf8');
  writeFileSync(
    CONF,
    original
      .replace(/^permissive\s*=.*$/m, 'permissive = 1')
      .replace(/^uid\s*=.*$/m, 'uid = root')
      .replace(/^gid\s*=.*$/m, 'gid = root'),
  );
  spawnSync('chown', ['-R', 'root:root', DB_DIR]);
  let pid: number | undefined;
  try {
    spawnSync('fagenrules', ['--load'], { stdio: 'ignore' });
    const started = spawnSync('/usr/sbin/fapolicyd', ['--permissive', '--no-details'], { encoding: 'utf8' });
    if (started.status !== 0) return `fapolicyd did not start: ${started.stderr.trim()}`;
    const pidFile = '/run/fapolicyd.pid';
    const until = Date.now() + 60_000;
    while (pid === undefined && Date.now() < until) {
      if (existsSync(pidFile)) pid = Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
      if (pid === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    if (pid === undefined || !existsSync(`/proc/${pid}`))
      return 'fapolicyd did not stay up (run it with --debug to see why)';
    // Ready when its fanotify marks are in: its queue shows in /proc/PID/fdinfo.
    const ready = Date.now() + 60_000;
    const marked = () => {
      try {
        for (const fd of spawnSync('ls', [`/proc/${pid}/fdinfo`], { encoding: 'utf8' }).stdout.split('\n'))
          if (fd && readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').includes('fanotify mnt_id')) return true;
      } catch {}
      return false;
    };
    while (!marked() && Date.now() < ready) await new Promise((r) => setTimeout(r, 100));
    if (!marked()) return 'fapolicyd did not mark any mount in 60 s';
    const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const fapolicydCpu = () => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticks;
    };
    await round(label, fapolicydCpu);
    return null;
  } finally {
    if (pid !== undefined && existsSync(`/proc/${pid}`)) {
      process.kill(pid, 'SIGTERM');
      const gone = Date.now() + 20_000;
      while (existsSync(`/proc/${pid}`) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    }
    writeFileSync(CONF, original);
    spawnSync('chown', ['-R', 'fapolicyd:fapolicyd', DB_DIR]);
  }
}

// ---- Bulwark application control, in this process. ignoreMarks false: every exec is answered by
// the fanotify thread from its verdict cache (the kernel ignore marks are the diagnostic switch's).
let bulwarkRuns = 0;
async function bulwarkRound(label: string, ignoreMarks: boolean): Promise<void> {
  const dataDir = join(work, `data-${bulwarkRuns++}`);
  mkdirSync(dataDir);
  const events: NewEvent[] = [];
  const context: AgentModuleContext = {
    dataDir,
    log: { info() {}, warn() {}, error() {} },
    emit: (e) => events.push(e),
    reportInventory() {},
    writeStateFile: moduleStateFileWriter(dataDir),
  };
  process.env.BULWARK_APPCONTROL_IGNORE_MARKS = ignoreMarks ? '1' : '0';
  const m = agentModule.create(context);
  await m.apply(
    {
      enabled: true,
      configuration: {
        settings: {
          mode: 'block-unrecognized',
          maintenanceUntilMs: null,
          trustPackageManagers: true,
          roots: [join(mnt, 'bin')],
          enforcedMounts: [mnt],
          checkInterpreters: true,
        },
        rules: [],
        rejectedRules: [],
      },
    },
    {} as PlatformSettings,
  );
  if (m.status().state !== 'on') throw new Error(`appcontrol: ${m.status().reason}`);
  while (!events.some((e) => e.type === 'inventory-built')) await new Promise((r) => setTimeout(r, 50));
  try {
    // The first exec is judged in JS (hash, inventory); what follows is what the bench is about.
    await measure(tiny, 1);
    await round(label, ownCpu);
    const c = m.status().counters ?? {};
    console.log(
      `  ${label}: checks in JS ${c.checks}, blocked ${c.blocked}, kernel cache hits ${c.kernelCacheHits}, ` +
        `misses ${c.kernelCacheMisses}, ignore marks ${c.kernelIgnoreMarks}, answered by the deadline ${c.defaulted}`,
    );
    if (Number(c.blocked) > 0 || Number(c.defaulted) > 0)
      throw new Error('the bench binary was blocked or not answered in time');
  } finally {
    await m.stop();
    delete process.env.BULWARK_APPCONTROL_IGNORE_MARKS;
  }
}

const NONE = 'no monitor';
const OURS = 'bulwark';
const OURS_CACHE = 'bulwark (thread cache)';
const THEIRS = 'fapolicyd';

try {
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `bench:appcontrol: ${RUNS} runs of a static binary per configuration and side, ${ROUNDS} interleaved rounds; load ${load()}`,
  );
  // BENCH_SKIP_FAPOLICYD=1: Bulwark alone (profiling).
  let fapolicyd: string | null = process.env.BENCH_SKIP_FAPOLICYD ? 'skipped (BENCH_SKIP_FAPOLICYD)' : null;
  for (let r = 0; r < ROUNDS; r++) {
    console.log(`round ${r + 1} of ${ROUNDS} (load ${load()})`);
    await round(NONE, ownCpu);
    await bulwarkRound(OURS, true);
    await bulwarkRound(OURS_CACHE, false);
    if (fapolicyd === null) fapolicyd = await fapolicydRound(THEIRS);
  }
  console.log(`load at the end ${load()}\n`);
  const none = figure(NONE) as Figure;
  const ours = figure(OURS) as Figure;
  const oursCache = figure(OURS_CACHE) as Figure;
  const theirs = fapolicyd === null ? figure(THEIRS) : undefined;
  const added = (f: Figure) => f.addedUs - none.addedUs;
  // This process's own CPU per exec with no monitor (spawning the loop, reading its output) is not the monitor's.
  const monitorCpu = (f: Figure) => (f.cpuUs ?? 0) - (f.label === THEIRS ? 0 : (none.cpuUs ?? 0));
  console.log(
    `\nadded per exec (no-monitor difference ${none.addedUs.toFixed(1)} µs taken off), monitor CPU per exec:`,
  );
  for (const f of [ours, oursCache, ...(theirs ? [theirs] : [])])
    console.log(`  ${f.label.padEnd(22)} ${signed(added(f))} µs   CPU ${signed(monitorCpu(f))} µs`);
  if (theirs === undefined) console.log(`fapolicyd: not measured: ${fapolicyd}`);
  else {
    for (const f of [ours, oursCache])
      console.log(
        `ratio ${f.label}/fapolicyd: added ${(added(f) / added(theirs)).toFixed(2)}, CPU ${(monitorCpu(f) / monitorCpu(theirs)).toFixed(2)}`,
      );
  }
} finally {
  spawnSync('umount', ['-l', mnt]);
  spawnSync('umount', ['-l', plain]);
  rmSync(work, { recursive: true, force: true });
}
