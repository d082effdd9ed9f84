/**
 * CPU time for benches on a shared, loaded machine, where wall time mostly measures waiting for a
 * core. Three figures: wall time, CPU time of the whole process (process.cpuUsage: the main
 * thread plus V8's GC helpers and libuv's pool), and CPU time of the main thread alone, where the
 * engine runs (Linux /proc/self/task/<pid>/stat; 10 ms resolution, fine for runs of seconds).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

const ticksPerSecond = ((): number => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** CPU seconds (user + system) of this process's main thread, or undefined off Linux. */
export function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

export interface Measurement {
  readonly wallSeconds: number;
  readonly processCpuSeconds: number;
  readonly mainThreadCpuSeconds: number | undefined;
  readonly loadBefore: number;
  readonly loadAfter: number;
}

export interface Stopwatch {
  stop(): Measurement;
}

export function startStopwatch(): Stopwatch {
  const loadBefore = loadavg()[0] ?? 0;
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const thread = mainThreadCpuSeconds();
  return {
    stop: () => {
      const used = process.cpuUsage(cpu);
      const threadNow = mainThreadCpuSeconds();
      return {
        wallSeconds: (performance.now() - wall) / 1000,
        processCpuSeconds: (used.user + used.system) / 1e6,
        mainThreadCpuSeconds: thread !== undefined && threadNow !== undefined ? threadNow - thread : undefined,
        loadBefore,
        loadAfter: loadavg()[0] ?? 0,
      };
    },
  };
}

/** "N lines in W s wall = R/s; P s process CPU = R/s; T s main-thread CPU = R/s per core (load a → b)". */
export function describeRate(count: number, unit: string, m: Measurement): string {
  const rate = (seconds: number): string => (seconds > 0 ? Math.round(count / seconds).toLocaleString('en') : '∞');
  const thread =
    m.mainThreadCpuSeconds === undefined
      ? ''
      : `; ${m.mainThreadCpuSeconds.toFixed(2)} s main-thread CPU = ${rate(m.mainThreadCpuSeconds)} ${unit}/s per core`;
  return (
    `${count.toLocaleString('en')} lines in ${m.wallSeconds.toFixed(2)} s wall = ${rate(m.wallSeconds)} ${unit}/s; ` +
    `${m.processCpuSeconds.toFixed(2)} s process CPU = ${rate(m.processCpuSeconds)} ${unit}/s${thread} ` +
    `(load average ${m.loadBefore.toFixed(1)} → ${m.loadAfter.toFixed(1)} on ${availableParallelism()} cores)`
  );
}
