/**
 * `npm run conformance:ips-crs`: the OWASP CRS regression tests replayed against our IPS rules
 * and, in the same run, against nginx + ModSecurity + CRS (the yardstick).
 *
 * Ours: engine-level replay. Each test's raw request bytes go through the traffic engine's HTTP
 * parser (HttpStreamParser, the code that parses live flows) into inspection units, then through
 * the IPS inspector with every built-in rule assigned in prevent mode. A test is blocked when a
 * finding blocks any of its requests. (A request the parser cannot turn into a unit is not
 * blocked: the engine fails open on what it cannot parse, and it counts here as missed.)
 *
 * Yardstick: the same bytes sent over TCP to nginx with ModSecurity and CRS; blocked = any answer
 * but the backend's 200 (ModSecurity's 403, or nginx refusing a malformed request).
 *
 * Per class: the share of attack tests (`expect_ids`) blocked and of benign tests (only
 * `no_expect_ids`) wrongly blocked. `--json` prints the figures as JSON; `--ours-only` skips nginx;
 * `--misses <class>` lists our missed attacks and false positives in that class.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileIpsRules, createIpsInspector, unitsFromRequestBytes } from '../../modules/ips/engine/index.js';
import { BUILT_IN_RULES } from '../../modules/ips/rules/built-in-rules.js';
import { CLASSES, type CrsTest, loadCrsTests } from './crs-tests.js';
import { send, startYardstick, yardstickMissing } from './modsecurity-yardstick.js';

const CRS_DIR = fileURLToPath(new URL('../../../shared/external/crs-tests/', import.meta.url));
/** Ports of this run's nginx (ipsrules' range; the backend listens on the next one). */
const PORT = 18_160;

interface Tally {
  attacks: number;
  benign: number;
  oursBlocked: number;
  oursFalse: number;
  modsecBlocked: number;
  modsecFalse: number;
}

function oursBlocks(): (t: CrsTest) => { blocked: boolean; rules: string[] } {
  const { ruleSet, refused } = compileIpsRules(
    BUILT_IN_RULES.map((rule) => ({ rule })),
    { variables: {} },
  );
  if (refused.length > 0) throw new Error(`built-in rules refused: ${JSON.stringify(refused)}`);
  const inspector = createIpsInspector(ruleSet, 'prevent');
  return (t) => {
    const rules = new Set<string>();
    let blocked = false;
    for (const bytes of t.requests) {
      const state = inspector.newFlowState();
      for (const unit of unitsFromRequestBytes(new Uint8Array(bytes))) {
        const r = inspector.inspect(unit, state);
        for (const f of r.findings) rules.add(f.ruleId);
        if (r.decision.action === 'block') blocked = true;
      }
    }
    return { blocked, rules: [...rules] };
  };
}

async function main(): Promise<void> {
  if (!existsSync(CRS_DIR)) {
    console.log(`CRS tests not found at ${CRS_DIR}: nothing measured`);
    return;
  }
  const json = process.argv.includes('--json');
  const missesFor = process.argv[process.argv.indexOf('--misses') + 1];
  const tests = loadCrsTests(CRS_DIR);
  const ours = oursBlocks();
  const missing = process.argv.includes('--ours-only') ? 'skipped (--ours-only)' : yardstickMissing();
  const yardstick = missing === undefined ? await startYardstick('/tmp/ipsrules-crs-nginx', PORT) : undefined;
  if (missing !== undefined && !json) console.log(`yardstick not run: ${missing}`);
  const tallies = new Map<string, Tally>();
  const oursMs = { total: 0 };
  try {
    const queue = [...tests];
    const work = async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        const tally = tallies.get(t.cls) ?? {
          attacks: 0,
          benign: 0,
          oursBlocked: 0,
          oursFalse: 0,
          modsecBlocked: 0,
          modsecFalse: 0,
        };
        tallies.set(t.cls, tally);
        const started = performance.now();
        const mine = ours(t);
        oursMs.total += performance.now() - started;
        let theirs = false;
        if (yardstick !== undefined) {
          for (const bytes of t.requests) {
            const status = await send(yardstick.port, bytes).catch(() => 0);
            if (status !== 200) theirs = true;
          }
        }
        if (t.attack) {
          tally.attacks++;
          if (mine.blocked) tally.oursBlocked++;
          if (theirs) tally.modsecBlocked++;
        } else {
          tally.benign++;
          if (mine.blocked) tally.oursFalse++;
          if (theirs) tally.modsecFalse++;
        }
        if (missesFor === t.cls && mine.blocked !== t.attack) {
          const text = t.requests[0]?.toString('latin1') ?? '';
          const [head = '', body = ''] = text.split('\r\n\r\n', 2);
          const lines = head.split('\r\n');
          const usual = /^(Host|User-Agent|Accept|Accept-Encoding|Accept-Language|Connection|Content-Length): /;
          const shown = [lines[0], ...lines.slice(1).filter((h) => !usual.test(h)), body.slice(0, 200)];
          console.log(`${t.attack ? 'MISS' : 'FP  '} ${t.id} ${mine.rules.join(',')} ${JSON.stringify(shown)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: yardstick === undefined ? 1 : 6 }, work));
  } finally {
    await yardstick?.stop();
  }
  const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)} %`);
  const rows = Object.keys(CLASSES)
    .filter((c) => tallies.has(c))
    .map((c) => {
      const t = tallies.get(c) as Tally;
      return {
        class: CLASSES[c] as string,
        attacks: t.attacks,
        benign: t.benign,
        oursDetected: pct(t.oursBlocked, t.attacks),
        modsecDetected: yardstick || json ? pct(t.modsecBlocked, t.attacks) : '-',
        oursFalsePositives: pct(t.oursFalse, t.benign),
        modsecFalsePositives: yardstick || json ? pct(t.modsecFalse, t.benign) : '-',
        raw: t,
      };
    });
  if (json) {
    console.log(JSON.stringify({ tests: tests.length, yardstick: missing ?? 'nginx+ModSecurity+CRS', rows }, null, 2));
    return;
  }
  console.log(`CRS regression tests: ${tests.length} (our inspection ${oursMs.total.toFixed(0)} ms in all)`);
  console.log('class                   attacks  ours-blocked  modsec-blocked | benign  ours-FP  modsec-FP');
  for (const r of rows) {
    console.log(
      `${r.class.padEnd(24)}${String(r.attacks).padStart(7)}  ${r.oursDetected.padStart(12)}  ${r.modsecDetected.padStart(14)} | ${String(r.benign).padStart(6)}  ${r.oursFalsePositives.padStart(7)}  ${r.modsecFalsePositives.padStart(9)}`,
    );
  }
}

await main();
