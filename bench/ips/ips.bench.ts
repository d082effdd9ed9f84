/**
 * IPS benchmark (root): between two namespaces over veth, a web server (nginx) and a bulk TCP
 * stream (iperf3 on port 8080, one of $HTTP_PORTS) in "a", load from "b"; in the same lab, the
 * IPS agent with all our built-in rules, and with 10,000 Suricata rules loaded from
 * ../shared/external/suricata-rules (ET Open) plus ours, each between two runs with no
 * inspection (its peer is their mean: the machine is shared and its load drifts).
 * Reports HTTP requests/s (wrk) and bulk throughput (iperf3) as ratios to no inspection, and the
 * added p50/p99 latency. Goals (issue 13): >= 50 % of the request rate, >= 80 % of bulk
 * throughput (flows handed back), p99 added latency < 1 ms; a miss is printed and sets the exit code.
 * Run: `npm run bench:ips` (`-- --seconds N` per measurement, default 8).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { managerModule } from '@bulwark/module-ips/manager';
import { PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import type { IpsRule } from '../../modules/ips/engine/ips-engine-contract.js';
import { BUILT_IN_RULES } from '../../modules/ips/rules/built-in-rules.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 8;
const SURICATA_DIR = join(repoRoot, '..', 'shared', 'external', 'suricata-rules');
const SURICATA_RULES = 10_000;
/** The bench's NFQUEUE numbers: 136-139 (IPS range 120-139). */
const QUEUE = 136;

for (const tool of ['ip', 'nginx', 'wrk', 'iperf3']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.log(`skipped: needs ${tool}`);
    process.exit(0);
  }
}
if (process.getuid?.() !== 0) {
  console.log('skipped: needs root (network namespaces and NFQUEUE)');
  process.exit(0);
}

const id = `${process.pid % 100000}`;
const A = `bwipsb-${id}-a`;
const B = `bwipsb-${id}-b`;
const A_ADDR = '10.79.0.1';
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const inNs = (ns: string, cmd: string, args: string[]) =>
  spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });

function lab(): void {
  ip('netns', 'add', A);
  ip('netns', 'add', B);
  ip('link', 'add', 'veth-ab', 'netns', A, 'type', 'veth', 'peer', 'name', 'veth-ba', 'netns', B);
  ip('-n', A, 'addr', 'add', `${A_ADDR}/24`, 'dev', 'veth-ab');
  ip('-n', B, 'addr', 'add', '10.79.0.2/24', 'dev', 'veth-ba');
  for (const [ns, dev] of [
    [A, 'veth-ab'],
    [B, 'veth-ba'],
  ] as const) {
    ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
}

/** Time in ms from wrk's "1.23ms" / "456.00us" / "1.02s". */
function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : v * 1000;
}

interface Measure {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly bulkBitsPerSecond: number;
  readonly errors: string;
}

function measure(): Measure {
  const wrk = inNs(B, 'wrk', ['-t2', '-c16', `-d${SECONDS}s`, '--latency', `http://${A_ADDR}/index.html`]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(wrk.stdout)?.[1] ?? 'NaN');
  const p50 = ms(/\s50%\s+(\S+)/.exec(wrk.stdout)?.[1] ?? '');
  const p99 = ms(/\s99%\s+(\S+)/.exec(wrk.stdout)?.[1] ?? '');
  const errors = /Socket errors:.*|Non-2xx.*/.exec(wrk.stdout)?.[0] ?? '';
  const perf = inNs(B, 'iperf3', ['-c', A_ADDR, '-p', '8080', '-t', String(SECONDS), '-J']);
  let bulk = Number.NaN;
  try {
    bulk = (JSON.parse(perf.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
      .bits_per_second;
  } catch {
    console.error(`iperf3: ${perf.stdout.slice(0, 300)} ${perf.stderr.slice(0, 300)}`);
  }
  return { requestsPerSecond: rps, p50Ms: p50, p99Ms: p99, bulkBitsPerSecond: bulk, errors };
}

/** The first 10,000 ET Open rules our engine accepts, read the way `bulwark rules import` reads them. */
function suricataRules(): IpsRule[] {
  if (!existsSync(SURICATA_DIR)) return [];
  const out: IpsRule[] = [];
  const files = readdirSync(SURICATA_DIR)
    .filter((f) => f.endsWith('.rules'))
    .sort((a, b) => Number(b.includes('web')) - Number(a.includes('web')) || a.localeCompare(b));
  for (const file of files) {
    const read = managerModule.importRules?.(readFileSync(join(SURICATA_DIR, file), 'utf8'));
    for (const r of read?.rules ?? []) {
      if (out.length >= SURICATA_RULES) return out;
      out.push(r as IpsRule);
    }
  }
  return out;
}

function configuration(rules: readonly IpsRule[]) {
  const settings = { ...(Value.Create(managerModule.settings) as Record<string, unknown>), enabled: true };
  return {
    configuration: {
      enabled: true,
      configuration: managerModule.compile({
        computerId: 'bench',
        settings: settings as never,
        platform: {} as never,
        rules: rules.map((r) => ({ id: r.id, definition: r, overrides: {} })),
      }),
    },
    platform: Value.Create(PlatformSettings),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'bwips-bench-'));
const children: ChildProcess[] = [];
let failed = false;
try {
  lab();
  // nginx's workers run as an unprivileged user: the document root must be readable to them.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'index.html'), `<html><body>${'bulwark '.repeat(64)}</body></html>\n`, { mode: 0o644 });
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 2; pid ${dir}/nginx.pid; error_log ${dir}/error.log;\n` +
      `events { worker_connections 1024; }\n` +
      `http { access_log off; server { listen ${A_ADDR}:80; root ${dir}; } }\n`,
    { mode: 0o644 },
  );
  children.push(
    spawn('ip', ['netns', 'exec', A, 'nginx', '-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' }),
  );
  children.push(spawn('ip', ['netns', 'exec', A, 'iperf3', '-s', '-p', '8080'], { stdio: 'ignore' }));
  for (let i = 0; i < 100 && inNs(B, 'sh', ['-c', `exec 3<>/dev/tcp/${A_ADDR}/80`]).status !== 0; i++) {
    spawnSync('sleep', ['0.1']);
  }

  const ours = BUILT_IN_RULES as readonly IpsRule[];
  const suricata = suricataRules();
  if (suricata.length === 0) console.log(`note: ${SURICATA_DIR} is absent; the 10,000-rule run is skipped`);

  /** Runs `measure` with the IPS agent applied with `rules` (a fresh agent each time), then removes it. */
  const inspected = async (rules: readonly IpsRule[]) => {
    const worker = spawn('ip', ['netns', 'exec', A, process.execPath, '--import', 'tsx', 'test/ips/agent-worker.ts'], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, BWIPS_QUEUE: String(QUEUE) },
    });
    children.push(worker);
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: worker.stdout }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l));
      } catch {}
    });
    worker.stdin.write(`${JSON.stringify(configuration(rules))}\n`);
    for (let i = 0; i < 1200 && !lines.some((l) => l.applied === 1); i++) await new Promise((r) => setTimeout(r, 100));
    const line = lines.find((l) => l.applied === 1);
    const status = line?.status as { state: string; reason?: string; counters?: Record<string, number> } | undefined;
    if (status?.state !== 'on') throw new Error(`the IPS did not start: ${JSON.stringify(status ?? lines.slice(-3))}`);
    const m = measure();
    worker.stdin.end();
    await new Promise((r) => worker.once('exit', r));
    return { ...m, rules: status.counters?.rules ?? 0, refused: status.counters?.refusedRules ?? 0 };
  };

  // Uninspected runs between the inspected ones, so that each ratio compares traffic measured
  // minutes apart at most on a machine whose load changes: the peer of a run is the mean of the
  // uninspected runs before and after it.
  const results: Record<string, Measure & { rules: number; refused?: number }> = {};
  const nones: Measure[] = [measure()];
  results.ours = await inspected(ours);
  nones.push(measure());
  if (suricata.length > 0) {
    results.suricata10k = await inspected([...ours, ...suricata]);
    nones.push(measure());
  }
  const mean = (ms: readonly Measure[]): Measure => ({
    requestsPerSecond: ms.reduce((n, m) => n + m.requestsPerSecond, 0) / ms.length,
    p50Ms: ms.reduce((n, m) => n + m.p50Ms, 0) / ms.length,
    p99Ms: ms.reduce((n, m) => n + m.p99Ms, 0) / ms.length,
    bulkBitsPerSecond: ms.reduce((n, m) => n + m.bulkBitsPerSecond, 0) / ms.length,
    errors: ms.map((m) => m.errors).join(' '),
  });
  const peers: Record<string, Measure> = {
    ours: mean(nones.slice(0, 2)),
    suricata10k: mean(nones.slice(1, 3)),
  };
  nones.forEach((m, i) => {
    console.log(
      `uninspected run ${i + 1}: ${m.requestsPerSecond.toFixed(0)} req/s, p50 ${m.p50Ms.toFixed(3)} ms, p99 ${m.p99Ms.toFixed(3)} ms, ${(m.bulkBitsPerSecond / 1e9).toFixed(2)} Gbit/s`,
    );
  });
  console.log(`IPS benchmark, ${SECONDS} s per measurement (wrk -t2 -c16; iperf3 one stream on port 8080)`);
  console.log('run            rules   req/s    ratio   p50 ms  p99 ms  +p50 ms  +p99 ms  bulk Gbit/s  ratio');
  for (const [name, r] of Object.entries(results)) {
    const none = peers[name] as Measure;
    const row = [
      name.padEnd(13),
      String(r.rules).padStart(6),
      r.requestsPerSecond.toFixed(0).padStart(8),
      (r.requestsPerSecond / none.requestsPerSecond).toFixed(2).padStart(7),
      r.p50Ms.toFixed(3).padStart(8),
      r.p99Ms.toFixed(3).padStart(7),
      (r.p50Ms - none.p50Ms).toFixed(3).padStart(8),
      (r.p99Ms - none.p99Ms).toFixed(3).padStart(8),
      (r.bulkBitsPerSecond / 1e9).toFixed(2).padStart(12),
      (r.bulkBitsPerSecond / none.bulkBitsPerSecond).toFixed(2).padStart(6),
    ];
    console.log(`${row.join(' ')}${r.errors ? `  (${r.errors})` : ''}`);
    const misses = [
      r.requestsPerSecond / none.requestsPerSecond < 0.5 ? 'request rate < 50 % of no inspection' : '',
      r.bulkBitsPerSecond / none.bulkBitsPerSecond < 0.8 ? 'bulk throughput < 80 % of no inspection' : '',
      r.p99Ms - none.p99Ms >= 1 ? 'p99 added latency >= 1 ms' : '',
    ].filter(Boolean);
    if (misses.length > 0) {
      failed = true;
      console.log(`  goal missed (${name}): ${misses.join('; ')}`);
    }
  }
  console.log(`JSON ${JSON.stringify({ results, uninspected: nones })}`);
} catch (error) {
  failed = true;
  console.error(error instanceof Error ? error.stack : error);
} finally {
  for (const c of children) c.kill('SIGTERM');
  spawnSync('sleep', ['0.5']);
  for (const ns of [A, B]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
