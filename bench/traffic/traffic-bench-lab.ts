/**
 * Load tools for the traffic benches (bench:traffic here, bench:ips reuses them): wrk for HTTP
 * request rate and latency, iperf3 for bulk TCP throughput, run from the lab's client namespace
 * against servers in the server namespace. The lab itself (namespaces, HTTP server, engine
 * worker) is test/traffic/traffic-lab.ts.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { Lab } from '../../test/traffic/traffic-lab.js';

export * from '../../test/traffic/traffic-lab.js';

/** Tools missing from the PATH, with how to install them. */
export function missingLoadTools(): string[] {
  const missing: string[] = [];
  for (const tool of ['wrk', 'iperf3', 'curl']) {
    if (spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status !== 0)
      missing.push(tool);
  }
  return missing;
}

export const INSTALL_HINT = 'apt-get install -y --no-install-recommends wrk iperf3 curl';

export interface HttpLoad {
  readonly requestsPerSecond: number;
  /** Latency percentiles in ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** wrk with --latency from the client namespace. */
export function runWrk(
  lab: Lab,
  url: string,
  options: { connections: number; seconds: number; threads?: number },
): HttpLoad {
  const r = lab.exec(
    lab.client,
    'wrk',
    [
      '-t',
      String(options.threads ?? 1),
      '-c',
      String(options.connections),
      '-d',
      `${options.seconds}s`,
      '--latency',
      url,
    ],
    (options.seconds + 30) * 1000,
  );
  if (r.code !== 0) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
  const rate = /Requests\/sec:\s+([0-9.]+)/.exec(r.stdout);
  const p50 = /\s50%\s+([0-9.]+)(us|ms|s|m)/.exec(r.stdout);
  const p99 = /\s99%\s+([0-9.]+)(us|ms|s|m)/.exec(r.stdout);
  const errors = /Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: ([0-9]+)/.exec(r.stdout);
  if (!rate || !p50 || !p99) throw new Error(`cannot read wrk output:\n${r.stdout}`);
  return {
    requestsPerSecond: Number(rate[1]),
    p50Ms: toMs(p50[1] ?? '0', p50[2] ?? 'ms'),
    p99Ms: toMs(p99[1] ?? '0', p99[2] ?? 'ms'),
    errors: (errors ? errors.slice(1).reduce((n, x) => n + Number(x), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0),
  };
}

/** Starts `iperf3 -s` in the server namespace. */
export function startIperfServer(lab: Lab, port: number): ChildProcess {
  return spawn('ip', ['netns', 'exec', lab.server, 'iperf3', '-s', '-B', lab.serverAddress, '-p', String(port)], {
    stdio: 'ignore',
  });
}

/** Bulk TCP throughput client → server in bits per second (iperf3 -J). */
export function runIperf(lab: Lab, port: number, seconds: number): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = lab.exec(
      lab.client,
      'iperf3',
      ['-c', lab.serverAddress, '-p', String(port), '-t', String(seconds), '-J'],
      (seconds + 30) * 1000,
    );
    if (r.code === 0) {
      const json = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
      return json.end.sum_received.bits_per_second;
    }
    // The server may not be listening yet.
    spawnSync('sleep', ['0.25']);
  }
  throw new Error('iperf3 did not connect');
}
