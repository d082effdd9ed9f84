/**
 * Traffic engine bench (root): between two namespaces over veth, the same load with no
 * inspection and through the engine with a pass-through inspector (every packet decoded,
 * reassembled, parsed and inspected), as ratios; plus the added latency (p50/p99 of single
 * connection request latency, engine minus none) and bulk throughput with flows handed back
 * after their first data. Tools: wrk, iperf3, curl (`apt-get install wrk iperf3 curl`).
 * Run: `npm run bench:traffic` [-- --seconds N]. Figures are noisy on a shared machine: compare
 * ratios from the same run only.
 */
import { availableParallelism, loadavg } from 'node:os';
import {
  createLab,
  INSTALL_HINT,
  type LineProcess,
  missingLoadTools,
  runIperf,
  runWrk,
  startEngineWorker,
  startHttpServer,
  startIperfServer,
  trafficSkipReason,
  workerStats,
} from './traffic-bench-lab.js';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5;
const HTTP_PORT = 8080;
const IPERF_PORT = 5201;
const QUEUE = 110;

const missing = missingLoadTools();
if (missing.length > 0) {
  console.log(`bench:traffic needs ${missing.join(', ')}: ${INSTALL_HINT}`);
  process.exit(1);
}
const skip = trafficSkipReason();
if (skip) {
  console.log(`bench:traffic cannot run here: ${skip}`);
  process.exit(1);
}

const lab = createLab('trb');
const server = await startHttpServer(lab, HTTP_PORT);
const iperf = startIperfServer(lab, IPERF_PORT);
const url = `http://${lab.serverAddress}:${HTTP_PORT}/`;
let worker: LineProcess | undefined;

interface Side {
  rate: number;
  p50: number;
  p99: number;
  bulk: number;
  errors: number;
}

const measure = (): Side => {
  const load = runWrk(lab, url, { connections: 16, seconds: SECONDS });
  const latency = runWrk(lab, url, { connections: 1, seconds: SECONDS });
  const bulk = runIperf(lab, IPERF_PORT, SECONDS);
  return {
    rate: load.requestsPerSecond,
    p50: latency.p50Ms,
    p99: latency.p99Ms,
    bulk,
    errors: load.errors + latency.errors,
  };
};

try {
  console.log(
    `bench:traffic: ${SECONDS}s per measurement, ${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(2)}`,
  );
  const none = measure();
  worker = await startEngineWorker(lab, {
    BW_QUEUE: String(QUEUE),
    BW_NAME: 'trfbench',
    BW_PORTS: `${HTTP_PORT},${IPERF_PORT}`,
    BW_PASS_THROUGH: '1',
  });
  const inspected = measure();
  const inspectedStats = (await workerStats(worker)) as { packets: number; engine: { httpRequests: number } };
  await worker.stop();
  worker = await startEngineWorker(lab, {
    BW_QUEUE: String(QUEUE),
    BW_NAME: 'trfbench',
    BW_PORTS: `${HTTP_PORT},${IPERF_PORT}`,
    BW_PASS_THROUGH: '1',
    BW_HAND_BACK: 'first-data',
  });
  const handedBackBulk = runIperf(lab, IPERF_PORT, SECONDS);
  const handBackStats = (await workerStats(worker)) as { packets: number; handBackMarks: number };

  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;
  const gbit = (b: number) => `${(b / 1e9).toFixed(2)} Gbit/s`;
  const rows = [
    ['measure', 'no inspection', 'engine (pass-through)', 'ratio'],
    ['HTTP requests/s (16 conns)', none.rate.toFixed(0), inspected.rate.toFixed(0), pct(inspected.rate, none.rate)],
    [
      'latency p50 (1 conn)',
      `${none.p50.toFixed(3)} ms`,
      `${inspected.p50.toFixed(3)} ms`,
      `+${(inspected.p50 - none.p50).toFixed(3)} ms`,
    ],
    [
      'latency p99 (1 conn)',
      `${none.p99.toFixed(3)} ms`,
      `${inspected.p99.toFixed(3)} ms`,
      `+${(inspected.p99 - none.p99).toFixed(3)} ms`,
    ],
    ['bulk TCP, every packet inspected', gbit(none.bulk), gbit(inspected.bulk), pct(inspected.bulk, none.bulk)],
    ['bulk TCP, handed back after first data', gbit(none.bulk), gbit(handedBackBulk), pct(handedBackBulk, none.bulk)],
  ];
  for (const r of rows)
    console.log(
      `${(r[0] ?? '').padEnd(40)} ${(r[1] ?? '').padStart(14)} ${(r[2] ?? '').padStart(22)} ${(r[3] ?? '').padStart(12)}`,
    );
  console.log(
    `engine saw ${inspectedStats.packets} packets / ${inspectedStats.engine.httpRequests} HTTP requests inspected; ` +
      `with hand-back ${handBackStats.packets} packets reached JS (${handBackStats.handBackMarks} flows handed back); ` +
      `errors during load: none ${none.errors}, engine ${inspected.errors}`,
  );
} finally {
  await worker?.stop();
  iperf.kill('SIGKILL');
  await server.stop();
  lab.destroy();
}
