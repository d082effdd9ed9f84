/**
 * Log inspection bench: events per second on one core for the engine with a full Wazuh ruleset,
 * and, over the same corpus, `grep -E` with the ruleset's decoder prematch patterns as a crude
 * ceiling (grep only tests patterns; the engine also decodes fields and walks the rule tree).
 *
 *   npm run bench:loginspect -- [--corpus FILE] [--ruleset DIR] [--lines N] [--no-grep]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readWazuhRuleset } from '../../modules/loginspect/conformance/ruleset-files.js';
import { compileRuleset, LogInspectionEngine, parseXml } from '../../modules/loginspect/engine/index.js';
import { defaultCorpusPath, generateCorpus } from './generate-corpus.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: defaultCorpusPath() },
    ruleset: { type: 'string', default: resolve(repoRoot, '../shared/external/wazuh-ruleset') },
    lines: { type: 'string', default: '1000000' },
    'no-grep': { type: 'boolean', default: false },
  },
});

const corpusPath = values.corpus as string;
if (!existsSync(corpusPath)) {
  console.log(`generating ${values.lines} lines into ${corpusPath}`);
  mkdirSync(resolve(corpusPath, '..'), { recursive: true });
  const lines: string[] = [];
  generateCorpus(Number(values.lines), 7, (l) => lines.push(l));
  writeFileSync(corpusPath, `${lines.join('\n')}\n`);
}
const rulesetDir = values.ruleset as string;
if (!existsSync(join(rulesetDir, 'decoders'))) {
  console.log(`bench: skipped, no Wazuh ruleset at ${rulesetDir} (pass --ruleset DIR)`);
  process.exit(0);
}

const lines = readFileSync(corpusPath, 'utf8').split('\n');
if (lines.at(-1) === '') lines.pop();
const input = readWazuhRuleset(rulesetDir, { includeTestFiles: false });
const loadStart = performance.now();
const { ruleset, problems } = compileRuleset(input);
console.log(
  `ruleset: ${ruleset.decoderCount} decoders, ${ruleset.rulesById.size} rules (${problems.filter((p) => p.severity === 'error').length} refused) compiled in ${Math.round(performance.now() - loadStart)} ms`,
);

const engine = new LogInspectionEngine(ruleset);
const base = Date.UTC(2026, 10, 18, 12);
// Warm-up so the timed pass measures compiled code, not the JIT.
for (let i = 0; i < Math.min(20_000, lines.length); i++)
  engine.process({ line: lines[i] as string, location: '/var/log/syslog', time: base });
let alerts = 0;
let decoded = 0;
const cpuStart = process.cpuUsage();
const start = performance.now();
for (let i = 0; i < lines.length; i++) {
  const v = engine.process({ line: lines[i] as string, location: '/var/log/syslog', time: base + i });
  if (v.alert) alerts++;
  if (v.decoder !== undefined) decoded++;
}
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
// On a shared machine wall time includes waiting for a core; CPU time is what one core spent.
console.log(
  `engine: ${lines.length} lines in ${seconds.toFixed(2)} s wall = ${Math.round(lines.length / seconds)} events/s; ` +
    `${cpuSeconds.toFixed(2)} s CPU = ${Math.round(lines.length / cpuSeconds)} events/s per core ` +
    `(${decoded} decoded, ${alerts} alerts, ${engine.correlationSize()} events in correlation memory; load average ${loadavg()[0]?.toFixed(1)})`,
);

/** OS_Regex to POSIX ERE, for grep; patterns grep cannot express are left out. */
function osRegexToEre(pattern: string): string[] {
  const classes: Record<string, string> = {
    w: '[[:alnum:]_@-]',
    W: '[^[:alnum:]_@-]',
    d: '[0-9]',
    D: '[^0-9]',
    s: '[[:space:]]',
    S: '[^[:space:]]',
    p: '[[:punct:]]',
    t: '\t',
    '.': '.',
  };
  return pattern.split(/(?<!\\)\|/).map((alt) => {
    let out = '';
    for (let i = 0; i < alt.length; i++) {
      const c = alt[i] as string;
      if (c === '\\' && i + 1 < alt.length) {
        const n = alt[++i] as string;
        out += classes[n] ?? (/[.[\]{}()*+?^$|\\]/.test(n) ? `\\${n}` : n);
      } else if (
        (c === '^' && i === 0) ||
        (c === '$' && i === alt.length - 1) ||
        c === '(' ||
        c === ')' ||
        c === '+' ||
        c === '*'
      )
        out += c;
      else out += /[.[\]{}?|\\]/.test(c) ? `\\${c}` : c;
    }
    return out;
  });
}

if (values['no-grep']) process.exit(0);
const patterns: string[] = [];
for (const name of readdirSync(join(rulesetDir, 'decoders')).sort()) {
  const parsed = parseXml(readFileSync(join(rulesetDir, 'decoders', name), 'utf8'));
  if (!parsed.ok) continue;
  for (const d of parsed.elements) {
    for (const c of d.children)
      if (c.name === 'prematch' && (c.attributes.type ?? 'osregex') === 'osregex')
        patterns.push(...osRegexToEre(c.text));
  }
}
const patternFile = resolve(repoRoot, 'bench/out/loginspect-prematch.ere');
writeFileSync(patternFile, `${patterns.filter((p) => p.length > 0).join('\n')}\n`);
const grepStart = performance.now();
// /usr/bin/time reports grep's own CPU time, comparable with the engine's per-core figure.
const timed = existsSync('/usr/bin/time');
const grepArgs = ['-E', '-i', '-c', '-f', patternFile, corpusPath];
const grep = timed
  ? spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', 'grep', ...grepArgs], { encoding: 'utf8' })
  : spawnSync('grep', grepArgs, { encoding: 'utf8' });
const grepSeconds = (performance.now() - grepStart) / 1000;
if (grep.error || (grep.status !== 0 && grep.status !== 1)) {
  console.log(`grep -E: failed (${grep.error?.message ?? grep.stderr.trim()})`);
} else {
  const cpuLine = /cpu ([\d.]+) ([\d.]+)/.exec(grep.stderr);
  const grepCpu = cpuLine ? Number(cpuLine[1]) + Number(cpuLine[2]) : undefined;
  console.log(
    `grep -E: ${lines.length} lines in ${grepSeconds.toFixed(2)} s wall = ${Math.round(lines.length / grepSeconds)} lines/s` +
      (grepCpu ? `; ${grepCpu.toFixed(2)} s CPU = ${Math.round(lines.length / grepCpu)} lines/s per core` : '') +
      ` with ${patterns.length} prematch patterns (${grep.stdout.trim()} lines matched)`,
  );
}
