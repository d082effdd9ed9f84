import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebrepConfiguration } from '../../modules/webrep/engine/index.js';
import {
  createLab,
  curl,
  type LineProcess,
  spawnInNamespace,
  startHttpServer,
  trafficSkipReason,
} from '../../test/traffic/traffic-lab.js';
import { makeCertificate, startTlsServers, stopTlsServers } from '../../test/webrep/tls-servers.js';
import { generatedFeed, measureLookups } from './lookup.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const CONNECTIONS = arg('--connections', 100);
const DOWNLOAD_MIB = arg('--download-mib', 64);
const TLS_PORT = 4443;
const QUEUE = 143;

const median = (xs: readonly number[]) => percentile(xs, 0.5);
function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
const line = (cells: readonly string[]) =>
  console.log(
    `${(cells[0] ?? '').padEnd(44)} ${(cells[1] ?? '').padStart(16)} ${(cells[2] ?? '').padStart(16)} ${(cells[3] ?? '').padStart(12)}`,
  );

console.log(`bench:webrep: ${availableParallelism()} cores, load ${loadavg()[0]?.toFixed(2)}`);
const figures = measureLookups();
line(['in process', 'webrep', 'peer', 'ratio']);
for (const [format, r] of Object.entries(figures.importRates))
  line([
    `import ${format} list (entries/s; peer: split+Set)`,
    r.perSecond.toFixed(0),
    r.peerPerSecond.toFixed(0),
    `${(r.perSecond / r.peerPerSecond).toFixed(2)}x`,
  ]);
line([
  `decide, ${figures.compiledEntries} entries (ns; peer: Map.get)`,
  figures.nsPerDecision.toFixed(0),
  figures.nsPerMapGet.toFixed(0),
  `${(figures.nsPerDecision / figures.nsPerMapGet).toFixed(2)}x`,
]);
line([
  '  of which the index walk (ns)',
  figures.nsPerIndexLookup.toFixed(0),
  figures.nsPerMapGet.toFixed(0),
  `${(figures.nsPerIndexLookup / figures.nsPerMapGet).toFixed(2)}x`,
]);
line([
  '  peer with the same strings every round (ns)',
  '',
  figures.nsPerMapGetSameStrings.toFixed(0),
  `${(figures.nsPerDecision / figures.nsPerMapGetSameStrings).toFixed(2)}x`,
]);
console.log(
  `reputation data compiled in ${figures.compileSeconds.toFixed(1)} s ` +
    `(${(figures.compiledEntries / figures.compileSeconds).toFixed(0)} entries/s), heap +${figures.heapMiB.toFixed(0)} MiB; ` +
    `${figures.blocked} of ${figures.queries} queries blocked per round`,
);

const skip = trafficSkipReason(['curl', 'openssl']);
if (skip) {
  console.log(`bench:webrep: the traffic half cannot run here: ${skip}`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'bw-webrep-bench-'));
const lab = createLab('wrb');
let worker: LineProcess | undefined;
let tls: LineProcess | undefined;
const http = await startHttpServer(lab, 80);
try {
  const feed = join(dir, 'feed.csv');
  writeFileSync(feed, generatedFeed());
  makeCertificate(dir, 'good.test');
  tls = await startTlsServers(lab, dir, [TLS_PORT]);
  const handshake = () =>
    curl(
      lab,
      [
        '-k',
        '--resolve',
        `good.test:${TLS_PORT}:${lab.serverAddress}`,
        '-o',
        '/dev/null',
        '-w',
        '%{time_appconnect}',
        `https://good.test:${TLS_PORT}/`,
      ],
      10_000,
    );
  const deadline = Date.now() + 10_000;
  while (handshake().code !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

  const setUps = (n: number) => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = handshake();
      if (r.code === 0) ms.push(Number(r.stdout) * 1000);
    }
    return ms;
  };
  const downloads = () => {
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = curl(lab, [
        '--resolve',
        `good.test:80:${lab.serverAddress}`,
        '-o',
        '/dev/null',
        '-w',
        '%{speed_download}',
        `http://good.test/bytes/${DOWNLOAD_MIB * 2 ** 20}`,
      ]);
      if (r.code === 0) rates.push(Number(r.stdout));
    }
    return rates;
  };
  downloads(); // the server builds and caches the body once

  // Without the module: half before, half after the module's run (the machine's load drifts).
  const noneSetUps = setUps(CONNECTIONS / 2);
  const noneRates = downloads();

  const configuration: WebrepConfiguration = {
    detectOnly: false,
    securityLevel: 'medium',
    blockUnrated: false,
    blockedCategories: ['cdn'],
    allow: [],
    block: Array.from({ length: 1000 }, (_, i) => (i % 2 ? `*.blocked${i}.test` : `files${i}.test/dl/`)),
    reputation: { version: 1, sha256: '-' },
    httpPorts: [80],
    tlsPorts: [TLS_PORT],
    blockPage: true,
  };
  worker = spawnInNamespace(lab.client, [process.execPath, '--import', 'tsx', 'test/webrep/webrep-worker.ts'], {
    BW_QUEUE: String(QUEUE),
    BW_NAME: 'wrpbench',
    BW_FEED: feed,
    BW_FEED_VERSION: '1',
  });
  await worker.waitFor((l) => 'ready' in l, 60_000);
  worker.send({ apply: configuration });
  const applied = await worker.waitFor((l) => 'applied' in l, 300_000);
  const status = applied.status as { state: string; reason?: string };
  if (status.state !== 'on') throw new Error(`module not on: ${JSON.stringify(status)}`);
  const moduleSetUps = setUps(CONNECTIONS);
  const moduleRates = downloads();
  const events = worker.lines.filter((l) => typeof l === 'object' && l !== null && 'event' in l).length;
  await worker.stop();
  worker = undefined;
  noneSetUps.push(...setUps(CONNECTIONS / 2));
  noneRates.push(...downloads());

  line(['between namespaces', 'module', 'no module', 'ratio']);
  for (const [name, p] of [
    ['HTTPS set-up p50 (ms)', 0.5],
    ['HTTPS set-up p99 (ms)', 0.99],
  ] as const) {
    const [m, n] = [percentile(moduleSetUps, p), percentile(noneSetUps, p)];
    line([name, m.toFixed(2), n.toFixed(2), `+${(m - n).toFixed(2)} ms`]);
  }
  const [m, n] = [median(moduleRates), median(noneRates)];
  line([
    `HTTP download ${DOWNLOAD_MIB} MiB (MiB/s, median)`,
    (m / 2 ** 20).toFixed(0),
    (n / 2 ** 20).toFixed(0),
    `${((m / n) * 100).toFixed(1)} %`,
  ]);
  console.log(
    `set-ups measured: module ${moduleSetUps.length}/${CONNECTIONS}, none ${noneSetUps.length}/${CONNECTIONS}; ` +
      `downloads: module ${moduleRates.length}/3, none ${noneRates.length}/6; events during the run: ${events} (expected 0)`,
  );
} finally {
  await worker?.stop();
  await stopTlsServers(lab, tls);
  await http.stop();
  lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
