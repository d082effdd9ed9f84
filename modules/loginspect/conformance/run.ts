/**
 * Conformance runner: loads an unmodified Wazuh ruleset and replays its test suite
 * (testing/tests/*.ini) through the engine, as runtests.py does through wazuh-logtest.
 *
 *   npm run conformance:loginspect -- [--ruleset DIR] [--min-pass-rate 95] [--file sshd] [--quiet]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileRuleset, formatProblem, LogInspectionEngine } from '../engine/index.js';
import { type IniCase, parseIniCases } from './ini.js';
import { readWazuhRuleset } from './ruleset-files.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const { values } = parseArgs({
  options: {
    ruleset: { type: 'string', default: resolve(repoRoot, '../shared/external/wazuh-ruleset') },
    'min-pass-rate': { type: 'string' },
    file: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    problems: { type: 'boolean', default: false },
  },
});
const dir = values.ruleset as string;
const testsDir = join(dir, 'testing', 'tests');
if (!existsSync(testsDir)) {
  console.log(`conformance: skipped, no Wazuh test suite at ${testsDir} (pass --ruleset DIR)`);
  process.exit(0);
}

const started = performance.now();
const input = readWazuhRuleset(dir, { includeTestFiles: true });
// runtests.py (enable_win_eventlog_tests) points rule 60000 at the JSON decoder before it runs the
// suite, because Windows events reach the test as JSON text rather than through the agent's
// eventchannel decoder; we make the same in-memory change, and only that one.
const WIN_BASE = /(<rule id="60000"[^>]*>)([\s\S]*?)(<\/rule>)/;
const adapted = {
  ...input,
  rules: input.rules.map((f) =>
    WIN_BASE.test(f.content)
      ? {
          ...f,
          content: f.content.replace(
            WIN_BASE,
            (_m, open: string, body: string, close: string) =>
              `${open}${body.replace(/\s*<category>[^<]*<\/category>/, '').replace(/<decoded_as>[^<]*<\/decoded_as>/, '<decoded_as>json</decoded_as>')}${close}`,
          ),
        }
      : f,
  ),
};
const { ruleset, problems } = compileRuleset(adapted);
const errors = problems.filter((p) => p.severity === 'error');
console.log(
  `ruleset: ${ruleset.decoderCount} decoders, ${ruleset.rulesById.size} rules loaded in ${Math.round(performance.now() - started)} ms; ` +
    `${errors.length} refused (errors), ${problems.length - errors.length} warnings`,
);
for (const p of values.problems ? problems : errors) console.log(`  ${formatProblem(p)}`);

/** Rule ids the loader refused, with the reason, to classify cases that need them as unsupported. */
const refusedRules = new Map<string, string>();
for (const p of errors) {
  const m = /^rule (\d+):/.exec(p.message);
  if (m) refusedRules.set(m[1] as string, p.message);
}

// The suite assumes a weekday at noon: Wednesday 18 November 2026, 12:00 UTC.
const CLOCK = Date.UTC(2026, 10, 18, 12, 0, 0);

type Outcome = { kind: 'pass' } | { kind: 'fail'; reason: string } | { kind: 'unsupported'; reason: string };

function runCase(file: string, c: IniCase): Outcome {
  if (file.endsWith('geoip.ini'))
    return { kind: 'unsupported', reason: 'needs a GeoIP database (runtests.py skips these without --geoip)' };
  const engine = new LogInspectionEngine(ruleset);
  let last: ReturnType<LogInspectionEngine['process']> | undefined;
  c.lines.forEach((line, i) => {
    last = engine.process({ line, location: 'stdin', time: CLOCK + i * 1000 });
  });
  const gotRule = last?.rule ? String(last.rule.id) : '';
  const gotLevel = last?.rule ? String(last.rule.level) : '';
  const gotDecoder = last?.decoder ?? '';
  // As wazuh-logtest -U: the expectation holds only when a rule was reported with that id,
  // level and decoder; an empty expectation never holds.
  const same = gotRule !== '' && gotRule === c.rule && gotLevel === c.alert && gotDecoder === c.decoder;
  if (same !== c.negate) return { kind: 'pass' };
  const refused = refusedRules.get(c.rule);
  if (!c.negate && refused) return { kind: 'unsupported', reason: refused };
  const expected = `rule ${c.rule || '-'} level ${c.alert || '-'} decoder ${c.decoder || '-'}`;
  const got = `rule ${gotRule || '-'} level ${gotLevel || '-'} decoder ${gotDecoder || '-'}`;
  return {
    kind: 'fail',
    reason: c.negate ? `expected anything but ${expected}, got it` : `expected ${expected}, got ${got}`,
  };
}

const files = readdirSync(testsDir)
  .filter((f) => f.endsWith('.ini') && (!values.file || f.includes(values.file)))
  .sort();
const totals = { pass: 0, fail: 0, unsupported: 0 };
const failures: string[] = [];
const unsupported: string[] = [];
const rows: string[] = [];
for (const f of files) {
  const cases = parseIniCases(readFileSync(join(testsDir, f), 'utf8'));
  const counts = { pass: 0, fail: 0, unsupported: 0 };
  for (const c of cases) {
    const o = runCase(f, c);
    counts[o.kind]++;
    if (o.kind === 'fail') failures.push(`${f}:${c.line} [${c.section}] ${c.key}: ${o.reason}`);
    if (o.kind === 'unsupported') unsupported.push(`${f}:${c.line} [${c.section}] ${c.key}: ${o.reason}`);
  }
  totals.pass += counts.pass;
  totals.fail += counts.fail;
  totals.unsupported += counts.unsupported;
  rows.push(
    `${f.padEnd(44)} ${String(counts.pass).padStart(5)} ${String(counts.fail).padStart(5)} ${String(counts.unsupported).padStart(5)}`,
  );
}
if (!values.quiet) {
  console.log(`\n${'file'.padEnd(44)}  pass  fail unsup`);
  for (const r of rows) console.log(r);
}
if (failures.length > 0) {
  console.log(`\nfailing cases (${failures.length}):`);
  for (const f of failures) console.log(`  ${f}`);
}
if (unsupported.length > 0) {
  console.log(`\nunsupported cases (${unsupported.length}):`);
  for (const u of unsupported) console.log(`  ${u}`);
}
const total = totals.pass + totals.fail + totals.unsupported;
const rate = total === 0 ? 0 : (100 * totals.pass) / total;
console.log(
  `\nconformance: ${totals.pass} pass, ${totals.fail} fail, ${totals.unsupported} unsupported of ${total} cases in ${files.length} files; ` +
    `pass rate ${rate.toFixed(2)} % (${Math.round(performance.now() - started)} ms)`,
);
const min = values['min-pass-rate'] === undefined ? undefined : Number(values['min-pass-rate']);
if (min !== undefined && !(rate >= min)) {
  console.log(`conformance: pass rate ${rate.toFixed(2)} % is below the required ${min} %`);
  process.exit(1);
}
