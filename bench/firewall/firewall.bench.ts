/**
 * Firewall benchmark (root): time to compile and apply 10, 1,000 and 10,000 rules with `nft -f`
 * inside a network namespace, and TCP bulk throughput between two namespaces with the firewall
 * on (1,000 rules) against no firewall, as a ratio. Run: `npm run bench:firewall`.
 * The peer is "no firewall" on the same veth in the same run.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import {
  compileRuleset,
  type FirewallConfiguration,
  type FirewallRule,
  FirewallSettings,
} from '@bulwark/module-firewall/engine';
import { Value } from '@sinclair/typebox/value';

if (process.getuid?.() !== 0) {
  console.log('skipped: needs root (network namespaces and nftables)');
  process.exit(0);
}

const id = `${process.pid % 100000}`;
const A = `bwfwb-${id}-a`;
const B = `bwfwb-${id}-b`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const inNs = (ns: string, cmd: string, args: string[], input?: string) =>
  spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26 });

function lab(): void {
  ip('netns', 'add', A);
  ip('netns', 'add', B);
  ip('link', 'add', 'veth-ab', 'netns', A, 'type', 'veth', 'peer', 'name', 'veth-ba', 'netns', B);
  ip('-n', A, 'addr', 'add', '10.78.0.1/24', 'dev', 'veth-ab');
  ip('-n', B, 'addr', 'add', '10.78.0.2/24', 'dev', 'veth-ba');
  for (const [ns, dev] of [
    [A, 'veth-ab'],
    [B, 'veth-ba'],
  ] as const) {
    ip('-n', ns, 'link', 'set', dev, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
}

function cleanup(): void {
  for (const ns of [A, B]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

/** A realistic mix: denies by source block and port, allows by port, some through shared lists. */
function rules(n: number): { rules: FirewallRule[]; lists: FirewallConfiguration['lists'] } {
  const out: FirewallRule[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    const base = { id: `r${i}`, name: `rule ${i}`, direction: 'incoming' as const, priority: i % 5 };
    if (kind === 0)
      out.push({
        ...base,
        action: 'allow',
        protocol: 'tcp',
        source: { ipLists: ['partners'] },
        destinationPorts: { portLists: ['web'] },
      });
    else if (kind < 4)
      out.push({ ...base, action: 'allow', protocol: 'tcp', destinationPorts: { ports: [10_000 + i] } });
    else if (kind < 9)
      out.push({
        ...base,
        action: 'deny',
        source: { addresses: [`172.${16 + (i % 16)}.${(i >> 8) & 255}.${i & 255}`] },
        protocol: 'tcp',
        destinationPorts: { ports: [(i % 60_000) + 1] },
      });
    else
      out.push({
        ...base,
        action: 'log-only',
        protocol: 'udp',
        destinationPorts: { ports: [`${i % 60_000}-${(i % 60_000) + 10}`] },
      });
  }
  // The bulk flow below must be allowed (allow rules turn on implicit deny).
  out.push({
    id: 'bench-flow',
    name: 'bench flow',
    direction: 'incoming',
    priority: 0,
    action: 'allow',
    protocol: 'tcp',
    destinationPorts: { ports: [5201] },
  });
  return {
    rules: out,
    lists: {
      ipLists: [{ id: 'partners', name: 'Partners', addresses: ['198.51.100.0/24', '203.0.113.0/24'] }],
      macLists: [],
      portLists: [{ id: 'web', name: 'Web', ports: [80, 443, '8000-8100'] }],
    },
  };
}

function configuration(n: number): FirewallConfiguration {
  const { enabled: _e, lists: _l, ...settings } = Value.Create(FirewallSettings);
  const r = rules(n);
  return { settings, rules: r.rules, lists: r.lists, rejected: [] };
}

function timeApply(n: number): { compileMs: number; compileCpuMs: number; applyMs: number; reapplyMs: number } {
  const config = configuration(n);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { script } = compileRuleset(config, { mode: 'inline', eventGroup: 7401, reconGroup: 7402 });
  const cpu = process.cpuUsage(c0);
  const compileCpuMs = (cpu.user + cpu.system) / 1000;
  const compileMs = performance.now() - t0;
  const t1 = performance.now();
  const r = inNs(A, 'nft', ['-f', '-'], script);
  const applyMs = performance.now() - t1;
  if (r.status !== 0) throw new Error(`nft refused ${n} rules: ${r.stderr.slice(0, 500)}`);
  const t2 = performance.now();
  inNs(A, 'nft', ['-f', '-'], script);
  const reapplyMs = performance.now() - t2;
  return { compileMs, compileCpuMs, applyMs, reapplyMs };
}

/** Bytes per second of one TCP bulk transfer from B to A for `seconds`. */
async function throughput(seconds: number): Promise<number> {
  const server = spawn(
    'ip',
    [
      'netns',
      'exec',
      A,
      process.execPath,
      '-e',
      "const s=require('node:net').createServer(c=>{let n=0;c.on('data',d=>{n+=d.length});c.on('end',()=>{console.log(n);s.close()})}).listen(5201,'10.78.0.1',()=>console.log('ready'))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout as NodeJS.ReadableStream });
  const received = new Promise<number>((resolve) => {
    lines.on('line', (l) => {
      if (l !== 'ready') resolve(Number(l));
    });
  });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  const t0 = performance.now();
  const client = inNs(B, process.execPath, [
    '-e',
    `const c=require('node:net').connect(5201,'10.78.0.1');const b=Buffer.alloc(1<<20);const end=Date.now()+${seconds * 1000};function w(){while(Date.now()<end){if(!c.write(b)){c.once('drain',w);return}}c.end()}c.on('connect',w)`,
  ]);
  if (client.status !== 0) throw new Error(client.stderr);
  const bytes = await received;
  return bytes / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

cleanup();
lab();
try {
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} CPUs`,
  );
  console.log('rules   compile ms (cpu ms)   nft -f ms   re-apply ms   compile+apply ms');
  for (const n of [10, 1000, 10_000]) {
    const { compileMs, compileCpuMs, applyMs, reapplyMs } = timeApply(n);
    const cells = [
      `${compileMs.toFixed(1)} (${compileCpuMs.toFixed(0)})`.padStart(20),
      applyMs.toFixed(1).padStart(10),
      reapplyMs.toFixed(1).padStart(12),
      (compileMs + applyMs).toFixed(1).padStart(17),
    ];
    console.log(`${String(n).padStart(6)}  ${cells.join('  ')}`);
  }
  const script1000 = compileRuleset(configuration(1000), { mode: 'inline', eventGroup: 7401, reconGroup: 7402 }).script;
  const removal = 'table inet bulwark {}\ndelete table inet bulwark\ntable arp bulwark {}\ndelete table arp bulwark\n';
  const off: number[] = [];
  const on: number[] = [];
  // Alternate so that load from other processes hits both sides alike.
  for (let i = 0; i < 5; i++) {
    inNs(A, 'nft', ['-f', '-'], removal);
    off.push(await throughput(2));
    inNs(A, 'nft', ['-f', '-'], script1000);
    on.push(await throughput(2));
  }
  const mb = (x: number) => `${(x / 1e6).toFixed(0)} MB/s`;
  console.log(`throughput without firewall: ${mb(median(off))} (runs: ${off.map(mb).join(', ')})`);
  console.log(`throughput with 1,000 rules: ${mb(median(on))} (runs: ${on.map(mb).join(', ')})`);
  console.log(`ratio with/without: ${(median(on) / median(off)).toFixed(3)}`);
} finally {
  cleanup();
}
