/**
 * `npm run bench:ips-rules`: what loading many Suricata rules costs per inspected request. The
 * first 10 and the first 10,000 loadable ET Open rules (from ../shared/external/suricata-rules/)
 * inspect the same 2,000 parsed HTTP requests (ordinary browsing shapes, a few attacks); the
 * figure is the time per request with 10,000 rules as a ratio to 10 (goal: little more than 1).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importRulesFile, SURICATA_DEFAULT_VARIABLES } from '../../modules/ips/conformance/suricata-import.js';
import {
  compileIpsRules,
  createIpsInspector,
  type IpsRule,
  unitsFromRequestBytes,
} from '../../modules/ips/engine/index.js';

const dir = fileURLToPath(new URL('../../../shared/external/suricata-rules/', import.meta.url));
if (!existsSync(dir)) {
  console.log(`ET Open rules not found at ${dir}: nothing measured`);
  process.exit(0);
}
const all: IpsRule[] = readdirSync(dir)
  .filter((f) => f.endsWith('.rules'))
  .sort()
  .flatMap((f) => importRulesFile(readFileSync(join(dir, f), 'utf8')).rules);
const loadable = compileIpsRules(
  all.map((rule) => ({ rule })),
  { variables: SURICATA_DEFAULT_VARIABLES },
);
const refusedIds = new Set(loadable.refused.map((r) => r.id));
const ok = all.filter((r) => !refusedIds.has(r.id));

const paths = [
  '/',
  '/index.html',
  '/products/42?color=blue&size=m',
  '/api/v1/orders?page=2',
  '/static/app.3f2a.js',
  '/search?q=winter+boots',
];
const agents = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'curl/8.5.0',
  'python-requests/2.31',
];
const requests = Array.from({ length: 2_000 }, (_, k) => {
  const path = k % 100 === 0 ? "/item?id=1' union select password from users--" : (paths[k % paths.length] as string);
  const text = `GET ${path} HTTP/1.1\r\nHost: shop${k % 7}.example\r\nUser-Agent: ${agents[k % agents.length]}\r\nAccept: */*\r\nCookie: s=${k}\r\n\r\n`;
  return unitsFromRequestBytes(new Uint8Array(Buffer.from(text, 'latin1')));
});

function measure(count: number): { perRequestUs: number; findings: number; compileMs: number } {
  const started = performance.now();
  const { ruleSet } = compileIpsRules(
    ok.slice(0, count).map((rule) => ({ rule })),
    { variables: SURICATA_DEFAULT_VARIABLES },
  );
  const compileMs = performance.now() - started;
  const inspector = createIpsInspector(ruleSet, 'detect');
  let findings = 0;
  const run = () => {
    for (const units of requests) {
      const state = inspector.newFlowState();
      for (const unit of units) findings += inspector.inspect(unit, state).findings.length;
    }
  };
  run(); // warm-up
  findings = 0;
  const t = performance.now();
  for (let round = 0; round < 3; round++) run();
  return { perRequestUs: ((performance.now() - t) * 1000) / (3 * requests.length), findings: findings / 3, compileMs };
}

const small = measure(10);
const large = measure(10_000);
console.log(`ET Open rules loadable: ${ok.length} of ${all.length}`);
console.log(`10 rules:     ${small.perRequestUs.toFixed(1)} µs per request (compile ${small.compileMs.toFixed(0)} ms)`);
console.log(
  `10,000 rules: ${large.perRequestUs.toFixed(1)} µs per request (compile ${large.compileMs.toFixed(0)} ms, ${large.findings} findings per pass)`,
);
console.log(`ratio 10,000 / 10: ${(large.perRequestUs / small.perRequestUs).toFixed(2)}`);
