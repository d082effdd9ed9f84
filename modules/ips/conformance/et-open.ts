/**
 * `npm run conformance:ips-et`: loads every ET Open rule in ../shared/external/suricata-rules/
 * (unmodified) into the IPS engine and prints how many load and the refusals by class.
 * `--json` prints the counts as JSON; `--examples` prints a few refused rules per class.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileIpsRules } from '../engine/index.js';
import { importRulesFile, SURICATA_DEFAULT_VARIABLES } from './suricata-import.js';

const folder = fileURLToPath(new URL('../../../../shared/external/suricata-rules/', import.meta.url));

export interface EtOpenResult {
  readonly files: number;
  readonly rules: number;
  readonly loaded: number;
  readonly refusedByClass: Record<string, number>;
  readonly examples: Record<string, string[]>;
  readonly compileMs: number;
}

export function runEtOpen(dir = folder): EtOpenResult | undefined {
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.rules'))
    .sort();
  const refusedByClass: Record<string, number> = {};
  const examples: Record<string, string[]> = {};
  let rules = 0;
  let loaded = 0;
  let compileMs = 0;
  for (const file of files) {
    const imported = importRulesFile(readFileSync(join(dir, file), 'utf8'));
    rules += imported.rules.length + imported.unreadable.length;
    refusedByClass['no-sid'] = (refusedByClass['no-sid'] ?? 0) + imported.unreadable.length;
    const started = performance.now();
    const result = compileIpsRules(
      imported.rules.map((rule) => ({ rule })),
      { variables: SURICATA_DEFAULT_VARIABLES },
    );
    compileMs += performance.now() - started;
    loaded += result.ruleSet.ruleCount;
    for (const r of result.refused) {
      refusedByClass[r.reasonClass] = (refusedByClass[r.reasonClass] ?? 0) + 1;
      const list = examples[r.reasonClass] ?? [];
      examples[r.reasonClass] = list;
      if (list.length < 3) list.push(`${file} ${r.id}: ${r.reason}`);
    }
  }
  if (refusedByClass['no-sid'] === 0) delete refusedByClass['no-sid'];
  return { files: files.length, rules, loaded, refusedByClass, examples, compileMs: Math.round(compileMs) };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = runEtOpen();
  if (result === undefined) {
    console.log(`ET Open rules not found at ${folder}: nothing measured`);
    process.exit(0);
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const share = ((100 * result.loaded) / result.rules).toFixed(1);
    console.log(
      `ET Open: ${result.rules} rules in ${result.files} files; loaded ${result.loaded} (${share} %), refused ${result.rules - result.loaded}; compiled in ${result.compileMs} ms`,
    );
    const classes = Object.entries(result.refusedByClass).sort((a, b) => b[1] - a[1]);
    for (const [reasonClass, count] of classes) {
      console.log(`  ${String(count).padStart(6)}  ${reasonClass}`);
      if (process.argv.includes('--examples'))
        for (const e of result.examples[reasonClass] ?? []) console.log(`            ${e.slice(0, 240)}`);
    }
  }
}
