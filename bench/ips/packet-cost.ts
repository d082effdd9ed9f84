/**
 * `npm run bench:ips-packets`: CPU per packet and per HTTP request of the pure traffic engine with
 * the IPS inspector, in process (no kernel): keep-alive HTTP flows shaped like the bench:ips load
 * (wrk against nginx: a small GET, a 600-byte page, pure ACKs) and one bulk stream of 64 KiB
 * segments (veth GSO), with our built-in rules and with them plus the first 10,000 loadable
 * ET Open rules (web files first, as bench:ips loads them). The peer is the same packets through
 * the engine with a pass-everything inspector, so the figures separate the rules from the engine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrafficInspector } from '@bulwark/traffic/engine';
import { importRulesFile, SURICATA_DEFAULT_VARIABLES } from '../../modules/ips/conformance/suricata-import.js';
import { compileIpsRules, createIpsInspector, type IpsRule } from '../../modules/ips/engine/index.js';
import { BUILT_IN_RULES } from '../../modules/ips/rules/built-in-rules.js';
import { tcpPacket } from '../../packages/traffic/src/engine/test-packets.js';
import { TrafficEngine } from '../../packages/traffic/src/engine/traffic-engine.js';

const ET_DIR = fileURLToPath(new URL('../../../shared/external/suricata-rules/', import.meta.url));
const FLOWS = 200;
const REQUESTS_PER_FLOW = 20;
const BULK_SEGMENTS = 2_000;
const BULK_SEGMENT_BYTES = 65_000;
const CLIENT = '10.79.0.2';
const SERVER = '10.79.0.1';
const ACK = 0x10;
const PSH_ACK = 0x18;

const REQUEST = `GET /index.html HTTP/1.1\r\nHost: ${SERVER}\r\n\r\n`;
const PAGE = `<html><body>${'bulwark '.repeat(64)}</body></html>\n`;
const RESPONSE =
  `HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 14:00:00 GMT\r\n` +
  `Content-Type: text/html\r\nContent-Length: ${PAGE.length}\r\nLast-Modified: Mon, 07 Dec 2026 13:00:00 GMT\r\n` +
  `Connection: keep-alive\r\nETag: "6571a0-260"\r\nAccept-Ranges: bytes\r\n\r\n${PAGE}`;

/** Packets of keep-alive HTTP flows as NFQUEUE would queue them (both directions). */
function httpPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = 0; f < FLOWS; f++) {
    const sport = 20_000 + f;
    const c = (flags: number, seq: number, ack: number, payload?: string) =>
      tcpPacket({ src: CLIENT, dst: SERVER, sport, dport: 80, seq, ack, flags, ...(payload ? { payload } : {}) });
    const s = (flags: number, seq: number, ack: number, payload?: string) =>
      tcpPacket({
        src: SERVER,
        dst: CLIENT,
        sport: 80,
        dport: sport,
        seq,
        ack,
        flags,
        ...(payload ? { payload } : {}),
      });
    let cs = 1000;
    let ss = 5000;
    out.push(c(0x02, cs, 0), s(0x12, ss, cs + 1), c(ACK, cs + 1, ss + 1));
    cs++;
    ss++;
    for (let r = 0; r < REQUESTS_PER_FLOW; r++) {
      out.push(c(PSH_ACK, cs, ss, REQUEST));
      cs += REQUEST.length;
      out.push(s(ACK, ss, cs), s(PSH_ACK, ss, cs, RESPONSE));
      ss += RESPONSE.length;
      out.push(c(ACK, cs, ss));
    }
    out.push(c(0x11, cs, ss), s(0x11, ss, cs + 1), c(ACK, cs + 1, ss + 1));
  }
  return out;
}

function bulkPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const sport = 40_000;
  const data = new Uint8Array(BULK_SEGMENT_BYTES);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131) & 0xff;
  let cs = 1;
  const c = (flags: number, seq: number, payload?: Uint8Array) =>
    tcpPacket({ src: CLIENT, dst: SERVER, sport, dport: 8080, seq, ack: 1, flags, ...(payload ? { payload } : {}) });
  const s = (flags: number, ack: number) =>
    tcpPacket({ src: SERVER, dst: CLIENT, sport: 8080, dport: sport, seq: 1, ack, flags });
  out.push(c(0x02, 0), s(0x12, 1), c(ACK, 1));
  for (let k = 0; k < BULK_SEGMENTS; k++) {
    out.push(c(PSH_ACK, cs, data));
    cs += data.length;
    if (k % 2 === 1) out.push(s(ACK, cs));
  }
  return out;
}

function etRules(): IpsRule[] {
  if (!existsSync(ET_DIR)) return [];
  const files = readdirSync(ET_DIR)
    .filter((f) => f.endsWith('.rules'))
    .sort((a, b) => Number(b.includes('web')) - Number(a.includes('web')) || a.localeCompare(b));
  const all = files.flatMap((f) => importRulesFile(readFileSync(join(ET_DIR, f), 'utf8')).rules);
  const { refused } = compileIpsRules(
    all.map((rule) => ({ rule })),
    { variables: SURICATA_DEFAULT_VARIABLES },
  );
  const refusedIds = new Set(refused.map((r) => r.id));
  return all.filter((r) => !refusedIds.has(r.id)).slice(0, 10_000);
}

const passAll: TrafficInspector<unknown, undefined> = {
  id: 'pass',
  ports: [{ protocol: 'tcp', ports: [80, 8080], parser: 'http' }],
  newFlowState: () => undefined,
  inspect: () => ({ decision: { action: 'pass' }, findings: [] }),
  wantsMore: () => true,
};

interface Run {
  readonly usPerPacket: number;
  readonly usPerRequest: number;
  readonly bulkUsPerPacket: number;
  readonly bulkPacketsInspected: number;
  readonly findings: number;
}

function run(inspector: TrafficInspector<unknown, unknown>, http: Uint8Array[], bulk: Uint8Array[]): Run {
  const time = (packets: Uint8Array[]) => {
    const engine = new TrafficEngine({ inspectors: [inspector], mode: 'inline' });
    let findings = 0;
    let inspected = 0;
    // CPU time, not wall time: the machine is shared, and this is what a packet costs the agent.
    const t = process.cpuUsage();
    for (const p of packets) {
      const r = engine.push(p, 1_000);
      findings += r.findings.length;
      if (r.units.length > 0 || r.handBack) inspected++;
    }
    const used = process.cpuUsage(t);
    return { ms: (used.user + used.system) / 1000, findings, inspected, stats: engine.stats() };
  };
  time(http); // warm-up
  const h = time(http);
  const b = time(bulk);
  return {
    usPerPacket: (h.ms * 1000) / http.length,
    usPerRequest: (h.ms * 1000) / (FLOWS * REQUESTS_PER_FLOW),
    bulkUsPerPacket: (b.ms * 1000) / bulk.length,
    bulkPacketsInspected: b.stats.packets - (b.stats.flowsHandedBack > 0 ? bulk.length - b.inspected : 0),
    findings: h.findings + b.findings,
  };
}

// `-- --only pass|ours|et` runs one row (for a CPU profile of it).
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
const http = httpPackets();
const bulk = bulkPackets();
const et = only === 'ours' || only === 'pass' ? [] : etRules();
const inspectorFor = (rules: readonly IpsRule[]) => {
  const { ruleSet } = compileIpsRules(
    rules.map((rule) => ({ rule })),
    { variables: SURICATA_DEFAULT_VARIABLES },
  );
  return createIpsInspector(ruleSet, 'prevent') as TrafficInspector<unknown, unknown>;
};
const ours = BUILT_IN_RULES as readonly IpsRule[];
const rows: [string, Run][] = [];
if (!only || only === 'pass')
  rows.push(['pass-everything inspector', run(passAll as TrafficInspector<unknown, unknown>, http, bulk)]);
if (!only || only === 'ours') rows.push([`our ${ours.length} rules`, run(inspectorFor(ours), http, bulk)]);
if (et.length === 0 && (!only || only === 'et'))
  console.log(`ET Open rules not found at ${ET_DIR}: that row is skipped`);
else if (!only || only === 'et')
  rows.push([`ours + ${et.length} ET Open`, run(inspectorFor([...ours, ...et]), http, bulk)]);

console.log(
  `${http.length} HTTP packets (${FLOWS} flows x ${REQUESTS_PER_FLOW} requests), ${bulk.length} bulk packets of ${BULK_SEGMENT_BYTES} B`,
);
console.log('inspector                       µs/packet  µs/request  bulk µs/packet  findings');
for (const [name, r] of rows) {
  console.log(
    `${name.padEnd(30)} ${r.usPerPacket.toFixed(2).padStart(10)} ${r.usPerRequest.toFixed(1).padStart(11)} ${r.bulkUsPerPacket.toFixed(2).padStart(15)} ${String(r.findings).padStart(9)}`,
  );
}
