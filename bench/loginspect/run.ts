/**
 * Log inspection bench, on one corpus (generated once by generate-corpus.ts unless --corpus):
 *
 * 1. engine: the engine alone with the full Wazuh ruleset (decode, rule tree, correlation) over
 *    the corpus held in memory, on the main thread;
 * 2. grep: `LC_ALL=C grep -E -i -c -f` with the ruleset's prematch patterns, all of them over the
 *    corpus and the selective ones over its first --grep-lines lines (grep-ceiling.ts says what
 *    each measures and what grep does not do);
 * 3. agent path: the agent module following a file that the corpus is appended to, emitting into
 *    the real event spool, in a child process of its own (agent-path.ts).
 *
 * Each prints lines, seconds and events/s by wall clock, by process CPU time and by main-thread
 * CPU time ("per core"), with the load average: on a shared machine wall time mostly measures
 * waiting for a core.
 *
 *   npm run bench:loginspect -- [--corpus FILE] [--ruleset DIR] [--lines N] [--no-grep] [--grep-lines N] [--no-agent] [--agent-dir DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readWazuhRuleset } from '../../modules/loginspect/conformance/ruleset-files.js';
import { compileRuleset, LogInspectionEngine } from '../../modules/loginspect/engine/index.js';
import { describeRate, startStopwatch } from './cpu-time.js';
import { defaultCorpusPath, generateCorpus } from './generate-corpus.js';
import { type GrepResult, prematchPatterns, runGrep, selectivePatterns } from './grep-ceiling.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const USAGE = `usage: npm run bench:loginspect -- [options]

  --corpus FILE      the corpus (generated once into the default path when missing)
  --ruleset DIR      a Wazuh-layout ruleset (default ../shared/external/wazuh-ruleset)
  --lines N          lines to generate when the corpus is missing (default 1000000)
  --no-grep          skip the grep ceiling
  --grep-lines N     lines for the selective grep run (default 20000)
  --no-agent         skip the agent path
  --agent-dir DIR    where the agent path keeps its files (default the temporary directory)
  --help             this text`;

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      corpus: { type: 'string', default: defaultCorpusPath() },
      ruleset: { type: 'string', default: resolve(repoRoot, '../shared/external/wazuh-ruleset') },
      lines: { type: 'string', default: '1000000' },
      'no-grep': { type: 'boolean', default: false },
      'grep-lines': { type: 'string', default: '20000' },
      'no-agent': { type: 'boolean', default: false },
      'agent-dir': { type: 'string', default: tmpdir() },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const corpusPath = resolve(values.corpus as string);
if (!existsSync(corpusPath)) {
  console.log(`generating ${values.lines} lines into ${corpusPath}`);
  mkdirSync(resolve(corpusPath, '..'), { recursive: true });
  const lines: string[] = [];
  generateCorpus(Number(values.lines), 7, (l) => lines.push(l));
  writeFileSync(corpusPath, `${lines.join('\n')}\n`);
}
const rulesetDir = resolve(values.ruleset as string);
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
  `ruleset: ${ruleset.decoderCount} decoders, ${ruleset.rulesById.size} rules (${problems.filter((p) => p.severity === 'error').length} refused) compiled in ${Math.round(performance.now() - loadStart)} ms; corpus ${corpusPath}`,
);

const engine = new LogInspectionEngine(ruleset);
const base = Date.UTC(2026, 10, 18, 12);
// Warm-up so the timed pass measures compiled code, not the JIT.
for (let i = 0; i < Math.min(20_000, lines.length); i++)
  engine.process({ line: lines[i] as string, location: '/var/log/syslog', time: base });
let alerts = 0;
let decoded = 0;
const watch = startStopwatch();
for (let i = 0; i < lines.length; i++) {
  const v = engine.process({ line: lines[i] as string, location: '/var/log/syslog', time: base + i });
  if (v.alert) alerts++;
  if (v.decoder !== undefined) decoded++;
}
const measured = watch.stop();
console.log(
  `engine: ${describeRate(lines.length, 'events', measured)}; ` +
    `${decoded} decoded, ${alerts} alerts, ${engine.correlationSize()} events in correlation memory`,
);

function printGrep(what: string, grep: GrepResult | string): void {
  if (typeof grep === 'string') {
    console.log(`grep, ${what}: ${grep}`);
    return;
  }
  const rate = (s: number): string => Math.round(grep.lines / s).toLocaleString('en');
  console.log(
    `grep (LC_ALL=C grep -E -i -c -f), ${what}, ${grep.patterns} patterns: ${grep.lines.toLocaleString('en')} lines in ` +
      `${grep.wallSeconds.toFixed(2)} s wall = ${rate(grep.wallSeconds)} lines/s` +
      (grep.cpuSeconds !== undefined
        ? `; ${grep.cpuSeconds.toFixed(2)} s CPU = ${rate(grep.cpuSeconds)} lines/s`
        : '') +
      `; ${grep.matchedLines.toLocaleString('en')} lines matched some pattern`,
  );
}

if (!values['no-grep']) {
  const out = resolve(repoRoot, 'bench/out');
  mkdirSync(out, { recursive: true });
  const all = prematchPatterns(rulesetDir);
  printGrep('all prematches', runGrep(all, corpusPath, lines.length, join(out, 'loginspect-prematch.ere')));
  const head = Math.min(Number(values['grep-lines']), lines.length);
  const headPath = join(out, `loginspect-corpus-first-${head}.log`);
  writeFileSync(headPath, `${lines.slice(0, head).join('\n')}\n`);
  printGrep(
    `selective prematches, first ${head.toLocaleString('en')} lines`,
    runGrep(selectivePatterns(all), headPath, head, join(out, 'loginspect-prematch-selective.ere')),
  );
}

if (!values['no-agent']) {
  // A process of its own: the engine run above leaves a heap (the corpus, correlation memory)
  // that would otherwise weigh on the agent's collections.
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'agent-path.ts'),
      '--corpus',
      corpusPath,
      '--ruleset',
      rulesetDir,
      '--dir',
      values['agent-dir'] as string,
    ],
    { stdio: 'inherit' },
  );
  if (child.status !== 0) {
    console.log(`agent path: failed (exit ${child.status ?? child.signal})`);
    process.exitCode = 1;
  }
}
