/**
 * Integrity baseline of a tree (default /usr) against `aide --init` with the same attributes
 * (sha256 + permissions, inode, link count, owner, group, size, mtime, ctime, link target, type),
 * in the same run, plus real-time latency (file written → event committed in the agent's event
 * spool), idle and while scans of the tree run back to back (spool-latency.ts).
 *
 *   npm run bench:integrity -- [--tree /usr] [--aide-workers 1] [--samples 200] [--skip-aide] [--no-warm]
 *     [--latency-only]   (no baseline timing, no AIDE: builds the tree's baseline, then measures latency)
 *
 * Not a test: figures depend on the machine and on what else runs on it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IntegrityAgentModule } from '@bulwark/module-integrity/agent';
import { IntegritySettings, validateRule } from '@bulwark/module-integrity/engine';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { NewEvent, PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { measureSpoolLatency } from './spool-latency.js';

const { values } = parseArgs({
  options: {
    help: { type: 'boolean', default: false },
    tree: { type: 'string', default: '/usr' },
    'aide-workers': { type: 'string', default: '1' },
    samples: { type: 'string', default: '200' },
    'skip-aide': { type: 'boolean', default: false },
    'no-warm': { type: 'boolean', default: false },
    'latency-only': { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    [
      'Usage: npm run bench:integrity -- [options]',
      '',
      '  --tree DIR          tree to baseline (default /usr)',
      '  --aide-workers N    AIDE worker threads (default 1)',
      '  --samples N         real-time writes for the latency part (default 200)',
      '  --skip-aide         baseline ours only',
      '  --no-warm           do not read the tree once before timing',
      '  --latency-only      only the real-time latency part (file written -> event committed in the spool)',
    ].join('\n'),
  );
  process.exit(0);
}
const tree = values.tree!;
const work = mkdtempSync(join(tmpdir(), 'bulwark-bench-integrity-'));

function module(dataDir: string, events: NewEvent[], onEvent?: (e: NewEvent) => void) {
  return new IntegrityAgentModule({
    dataDir,
    log: { info() {}, warn() {}, error: (m, f) => console.error(m, f) },
    emit: (e) => {
      events.push(e);
      onEvent?.(e);
    },
    reportInventory() {},
    writeStateFile: moduleStateFileWriter(dataDir),
  });
}

function rule(id: string, base: string) {
  const r = validateRule({
    id,
    name: id,
    description: 'bench',
    severity: 'info',
    attributes: ['sha256', 'STANDARD'],
    entity: { kind: 'files', base },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.rule;
}

const settings = (extra: Partial<IntegritySettings>) => ({
  ...Value.Create(IntegritySettings),
  enabled: true,
  ...extra,
});

function runAide(): { seconds: number; entries: number } | undefined {
  if (spawnSync('aide', ['--version']).status !== 0) {
    console.log('aide: not installed (apt-get install -y aide); skipped');
    return undefined;
  }
  const conf = join(work, 'aide.conf');
  writeFileSync(
    conf,
    [
      `database_out=file:${join(work, 'aide.db.new')}`,
      'gzip_dbout=no',
      `num_workers=${values['aide-workers']}`,
      'Bench = p+ftype+i+n+u+g+s+m+c+l+sha256',
      `${tree} Bench`,
      '',
    ].join('\n'),
  );
  const started = process.hrtime.bigint();
  const r = spawnSync('aide', ['--init', `--config=${conf}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const entries = Number(/Number of entries:\s*(\d+)/.exec(r.stdout + r.stderr)?.[1] ?? Number.NaN);
  if (r.status !== 0) console.log(`aide exited with ${r.status}: ${(r.stderr || r.stdout).slice(0, 500)}`);
  return { seconds, entries };
}

async function runOurs(): Promise<{ seconds: number; entries: number; hashedFiles: number; hashedBytes: number }> {
  const events: NewEvent[] = [];
  const m = module(join(work, 'ours'), events);
  const started = process.hrtime.bigint();
  await m.apply(
    {
      enabled: true,
      configuration: { settings: settings({ realTime: false }), rules: [rule('tree', tree)], rejectedRules: [] },
    },
    {} as PlatformSettings,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const built = events.find((e) => e.type === 'baseline-built');
  const detail = (
    built!.details!.rules as { entries: number; hashedFiles: number; hashedBytes: number; skipped: unknown }[]
  )[0]!;
  if (m.status().state !== 'on') console.log('module status', m.status());
  console.log('ours: skipped', JSON.stringify(detail.skipped));
  await m.stop();
  return { seconds, entries: detail.entries, hashedFiles: detail.hashedFiles, hashedBytes: detail.hashedBytes };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function describeLatency(label: string, r: Awaited<ReturnType<typeof measureSpoolLatency>>): void {
  const d = r.delays;
  console.log(
    `latency ${label}: ${d.length} writes, p50 ${pct(d, 50).toFixed(1)} ms, p99 ${pct(d, 99).toFixed(1)} ms, max ${d.at(-1)?.toFixed(1)} ms` +
      `${r.missing > 0 ? `, ${r.missing} without an event within 5 s` : ''}` +
      `${r.scans > 0 || label !== 'idle' ? `; ${r.duringScan} of them written and committed during a scan, ${r.scans} scans completed` : ''}` +
      ` (load average ${r.loadAverage}; goal p99 < 200 ms)`,
  );
}

try {
  console.log(`tree ${tree}; ${availableParallelism()} CPUs; load average ${load()}`);
  if (!values['no-warm']) {
    // Both sides should read from the page cache, not one from disk and the other from memory.
    const t = Date.now();
    spawnSync('sh', ['-c', `find '${tree}' -xdev -type f -print0 | xargs -0 cat > /dev/null 2>&1`]);
    console.log(`page cache warmed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const aide = values['skip-aide'] || values['latency-only'] ? undefined : runAide();
  const ours = await runOurs();
  const mb = ours.hashedBytes / 1e6;
  if (!values['latency-only'])
    console.log(
      `ours : ${ours.seconds.toFixed(2)} s, ${ours.entries} entries (${ours.hashedFiles} files hashed, ${mb.toFixed(0)} MB), ${(ours.entries / ours.seconds).toFixed(0)} entries/s, ${(ours.hashedFiles / ours.seconds).toFixed(0)} files/s, ${(mb / ours.seconds).toFixed(1)} MB/s (load average ${load()})`,
    );
  if (aide) {
    console.log(
      `aide : ${aide.seconds.toFixed(2)} s, ${aide.entries} entries, ${(aide.entries / aide.seconds).toFixed(0)} entries/s, ${(ours.hashedFiles / aide.seconds).toFixed(0)} files/s (same files), ${(mb / aide.seconds).toFixed(1)} MB/s (num_workers=${values['aide-workers']})`,
    );
    console.log(`ratio: ours / aide wall time = ${(ours.seconds / aide.seconds).toFixed(2)} (goal ≤ 0.50)`);
  }
  // The latency runs reuse the baseline just built (same rule, same data directory).
  const liveDir = join(work, 'live');
  mkdirSync(liveDir, { recursive: true });
  const common = {
    dataDir: join(work, 'ours'),
    spoolPath: join(work, 'spool', 'spool.db'),
    liveRule: rule('live', liveDir) as ReturnType<typeof rule> & { entity: { base: string } },
    treeRule: rule('tree', tree),
    samples: Number(values.samples),
  };
  describeLatency('idle', await measureSpoolLatency({ ...common, withScan: false }));
  describeLatency(`during scans of ${tree}`, await measureSpoolLatency({ ...common, withScan: true }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
