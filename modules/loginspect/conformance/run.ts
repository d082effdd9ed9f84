/**
 * Conformance runner: loads an unmodified Wazuh ruleset and replays its test suite
 * (testing/tests/*.ini) through the engine, as runtests.py does through wazuh-logtest. Other
 * rulesets (OSSEC's, loaded in the order of its ossec-server.conf) are given as ordered lists of
 * decoder and rule files with a directory of .ini cases.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileRuleset, formatProblem, LogInspectionEngine, type RulesetInput } from '../engine/index.js';
import { type IniCase, parseIniCases } from './ini.js';
import { compareWithExpected, type ExpectedOutcomes, parseExpected } from './known-outcomes.js';
import { readOssecTree } from './ossec-tree.js';
import { summarizeRefusals } from './refusal-summary.js';
import { readWazuhRuleset } from './ruleset-files.js';

const USAGE = `usage: npm run conformance:loginspect -- [options]

  --ruleset DIR          a Wazuh-layout ruleset (decoders/, rules/, lists/, testing/)
                         (default ../shared/external/wazuh-ruleset beside the repository)
  --decoders LIST        a file naming decoder files, one path a line, in load order;
  --rules LIST           the same for rule files (OSSEC loads its <include> list in order);
                         paths are relative to the list file; with both, --tests is needed
  --ossec DIR            an OSSEC source tree or installation: etc/decoder.xml and the rule
                         files etc/ossec-server.conf (or etc/ossec.conf) includes, in its order
  --load-only            load the ruleset and report what loads and what is refused, by
                         reason; replay no cases (exits 1 when a named file is missing)
  --tests DIR            the directory of .ini cases (default DIR/testing/tests)
  --file NAME            only the .ini files whose name contains NAME
  --min-pass-rate P      fail below P % of cases passing
  --expected FILE        fail when a case outside FILE's known failing and unsupported cases
                         does not pass (a new failure); report cases of FILE that now pass
  --write-expected FILE  write the current failing and unsupported cases to FILE
  --quiet                no per-file table
  --problems             print warnings as well as refused decoders and rules
  --help                 this text

Without the ruleset the run is skipped, except under CI=true, where it fails.`;

const repoRoot = resolve(import.meta.dirname, '../../..');
let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      ruleset: { type: 'string', default: resolve(repoRoot, '../shared/external/wazuh-ruleset') },
      decoders: { type: 'string' },
      rules: { type: 'string' },
      tests: { type: 'string' },
      ossec: { type: 'string' },
      'load-only': { type: 'boolean', default: false },
      'min-pass-rate': { type: 'string' },
      expected: { type: 'string' },
      'write-expected': { type: 'string' },
      file: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      problems: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  console.error(`conformance: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const loadOnly = values['load-only'] === true;
if (
  (values.decoders === undefined) !== (values.rules === undefined) ||
  ((values.decoders || values.ossec) && !values.tests && !loadOnly)
) {
  console.error(
    `conformance: --decoders and --rules go together; with them or --ossec, --tests or --load-only\n\n${USAGE}`,
  );
  process.exit(2);
}
if (values.ossec && values.decoders) {
  console.error(`conformance: --ossec or --decoders/--rules, not both\n\n${USAGE}`);
  process.exit(2);
}
const dir = values.ruleset as string;
const testsDir = (values.tests as string | undefined) ?? join(dir, 'testing', 'tests');
if (!loadOnly && !existsSync(testsDir)) {
  const message = `no test suite at ${testsDir} (pass --ruleset DIR or --tests DIR)`;
  if (process.env.CI === 'true') {
    console.error(`conformance: failed, ${message}; CI=true needs the corpus`);
    process.exit(1);
  }
  console.log(`conformance: skipped, ${message}`);
  process.exit(0);
}

/** The files a list names, one path a line (# comments), relative to the list. */
function listedFiles(list: string): { name: string; content: string }[] {
  const base = dirname(resolve(list));
  return readFileSync(list, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const path = resolve(base, l);
      return { name: path, content: readFileSync(path, 'utf8') };
    });
}

/** Files named by the OSSEC configuration that its tree lacks. */
let missingFiles: string[] = [];
function ossecInput(root: string): RulesetInput {
  const tree = readOssecTree(root);
  if ('error' in tree) {
    console.error(`conformance: ${tree.error}`);
    process.exit(2);
  }
  console.log(
    `ossec: ${tree.config}: ${tree.input.decoders.length} decoder files, ${tree.input.rules.length} rule files in load order`,
  );
  for (const m of tree.missing) console.log(`ossec: named by the configuration but not in the tree: ${m}`);
  missingFiles = tree.missing;
  return tree.input;
}

const started = performance.now();
const input: RulesetInput = values.ossec
  ? ossecInput(values.ossec as string)
  : values.decoders
    ? { decoders: listedFiles(values.decoders as string), rules: listedFiles(values.rules as string) }
    : readWazuhRuleset(dir, { includeTestFiles: true });
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
const summary = summarizeRefusals(problems);
console.log(
  `refused: ${summary.decoders} decoders, ${summary.rules} rules, ${summary.files} files; by reason (count, first place):`,
);
for (const r of summary.byReason) console.log(`  ${String(r.count).padStart(5)}  ${r.reason}  (${r.example})`);
if (loadOnly) process.exit(missingFiles.length > 0 ? 1 : 0);

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
  .filter((f) => f.endsWith('.ini') && (!values.file || f.includes(values.file as string)))
  .sort();
const totals = { pass: 0, fail: 0, unsupported: 0 };
const failures: string[] = [];
const unsupported: string[] = [];
/** The same cases without line or reason, as the known-outcomes file names them. */
const failingKeys: string[] = [];
const unsupportedKeys: string[] = [];
const rows: string[] = [];
for (const f of files) {
  const cases = parseIniCases(readFileSync(join(testsDir, f), 'utf8'));
  const counts = { pass: 0, fail: 0, unsupported: 0 };
  for (const c of cases) {
    const o = runCase(f, c);
    counts[o.kind]++;
    if (o.kind === 'fail') {
      failures.push(`${f}:${c.line} [${c.section}] ${c.key}: ${o.reason}`);
      failingKeys.push(`${f} [${c.section}] ${c.key}`);
    }
    if (o.kind === 'unsupported') {
      unsupported.push(`${f}:${c.line} [${c.section}] ${c.key}: ${o.reason}`);
      unsupportedKeys.push(`${f} [${c.section}] ${c.key}`);
    }
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
let failed = false;
const min = values['min-pass-rate'] === undefined ? undefined : Number(values['min-pass-rate']);
if (min !== undefined && !(rate >= min)) {
  console.log(`conformance: pass rate ${rate.toFixed(2)} % is below the required ${min} %`);
  failed = true;
}
const outcomes: ExpectedOutcomes = { failing: failingKeys, unsupported: unsupportedKeys };
if (values['write-expected']) {
  writeFileSync(values['write-expected'] as string, `${JSON.stringify(outcomes, null, 2)}\n`);
  console.log(
    `conformance: wrote ${outcomes.failing.length} failing and ${outcomes.unsupported.length} unsupported cases to ${values['write-expected']}`,
  );
}
if (values.expected) {
  const expected = parseExpected(readFileSync(values.expected as string, 'utf8'));
  const diff = compareWithExpected(expected, outcomes);
  for (const c of diff.nowPassing) console.log(`conformance: now passes (remove it from ${values.expected}): ${c}`);
  for (const c of diff.newFailures) console.log(`conformance: NEW failure or unsupported case: ${c}`);
  if (diff.newFailures.length > 0) {
    console.log(`conformance: ${diff.newFailures.length} case(s) outside ${values.expected} do not pass`);
    failed = true;
  }
}
if (failed) process.exit(1);
