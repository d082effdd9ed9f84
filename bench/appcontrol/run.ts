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
 * Beside the wall time, the CPU time each monitor spends per exec (its own process: this one for
 * Bulwark, fapolicyd's from /proc/PID/stat) is reported: it does not depend on the load.
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

interface Figure {
  readonly label: string;
  /** Median µs per exec from the unwatched ramfs. */
  readonly baseUs: number;
  /** Median of the per-pair differences, µs per exec. */
  readonly addedUs: number;
  /** CPU µs the monitor's process spent per exec on the watched mount; null when not measured. */
  readonly cpuUs: number | null;
}

async function rounds(label: string, cpuMicros?: () => number): Promise<Figure> {
  const per = Math.max(1, Math.round(RUNS / PAIRS));
  const base: number[] = [];
  const diffs: number[] = [];
  let cpu = 0;
  for (let i = 0; i < PAIRS; i++) {
    const a = await measure(unwatched, per);
    const before = cpuMicros?.() ?? 0;
    const b = await measure(tiny, per);
    cpu += (cpuMicros?.() ?? 0) - before;
    base.push(a);
    diffs.push(b - a);
  }
  const cpuUs = cpuMicros === undefined ? null : cpu / (per * PAIRS);
  const figure = { label, baseUs: median(base) / 1000, addedUs: median(diffs) / 1000, cpuUs };
  const sorted = [...diffs].sort((x, y) => x - y).map((d) => d / 1000);
  console.log(
    `${label.padEnd(12)} exec ${figure.baseUs.toFixed(1)} µs unwatched; added ${figure.addedUs.toFixed(1)} µs ` +
      `(per-pair differences from ${sorted[0]?.toFixed(1)} to ${sorted[sorted.length - 1]?.toFixed(1)}, ${PAIRS} pairs x ${per} runs each side)` +
      (cpuUs === null ? '' : `; monitor CPU ${cpuUs.toFixed(1)} µs per exec`),
  );
  return figure;
}

// ---- fapolicyd, permissive: it decides and logs every exec but denies nothing. It runs as root
// here (its switch to the fapolicyd user fails in this VM: "Cannot change to uid"), so its
// database directory is lent to root for the run and given back after.
const CONF = '/etc/fapolicyd/fapolicyd.conf';
const DB_DIR = '/var/lib/fapolicyd';
async function withFapolicyd(): Promise<Figure | string> {
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
    return await rounds('fapolicyd', fapolicydCpu);
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

// ---- Bulwark application control, in this process.
async function withBulwark(): Promise<Figure> {
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  const events: NewEvent[] = [];
  const context: AgentModuleContext = {
    dataDir,
    log: { info() {}, warn() {}, error() {} },
    emit: (e) => events.push(e),
    reportInventory() {},
    writeStateFile: moduleStateFileWriter(dataDir),
  };
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
    const result = await rounds('bulwark', () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    });
    const c = m.status().counters ?? {};
    console.log(
      `             checks ${c.checks}, blocked ${c.blocked}, hashed ${c.hashed}, cache hits ${c.cacheHits}, answered by the default ${c.defaulted}`,
    );
    if (Number(c.blocked) > 0 || Number(c.defaulted) > 0)
      throw new Error('the bench binary was blocked or not answered in time');
    return result;
  } finally {
    await m.stop();
  }
}

try {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`bench:appcontrol: ${RUNS} runs of a static binary per configuration and side; load ${load}`);
  const none = await rounds('no monitor');
  const ours = await withBulwark();
  // BENCH_SKIP_FAPOLICYD=1: Bulwark alone (profiling).
  const fapolicyd = process.env.BENCH_SKIP_FAPOLICYD ? 'skipped (BENCH_SKIP_FAPOLICYD)' : await withFapolicyd();
  const oursAdded = ours.addedUs - none.addedUs;
  console.log(
    `\nbulwark adds   ${oursAdded.toFixed(1)} µs per exec (no-monitor difference ${none.addedUs.toFixed(1)} µs taken off)`,
  );
  if (typeof fapolicyd === 'string') console.log(`fapolicyd: not measured: ${fapolicyd}`);
  else {
    const theirs = fapolicyd.addedUs - none.addedUs;
    console.log(`fapolicyd adds ${theirs.toFixed(1)} µs per exec`);
    console.log(`ratio bulwark/fapolicyd: ${(oursAdded / theirs).toFixed(2)}`);
    if (ours.cpuUs !== null && fapolicyd.cpuUs !== null)
      console.log(
        `monitor CPU per exec: bulwark ${ours.cpuUs.toFixed(1)} µs, fapolicyd ${fapolicyd.cpuUs.toFixed(1)} µs, ratio ${(ours.cpuUs / fapolicyd.cpuUs).toFixed(2)}`,
      );
  }
} finally {
  spawnSync('umount', ['-l', mnt]);
  spawnSync('umount', ['-l', plain]);
  rmSync(work, { recursive: true, force: true });
}
