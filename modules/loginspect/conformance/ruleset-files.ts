import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RulesetInput } from '../engine/index.js';

/**
 * Reads a Wazuh-layout ruleset directory (decoders/, rules/, lists/, and the extra files of
 * testing/ruleset/) into the loader's input. File reading lives here, outside the engine.
 */
function xmlFiles(dir: string, filter: (name: string) => boolean = () => true): { name: string; content: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.xml') && filter(n))
    .sort()
    .map((n) => ({ name: join(dir, n), content: readFileSync(join(dir, n), 'utf8') }));
}

function listFiles(dir: string): { name: string; content: string }[] {
  const out: { name: string; content: string }[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!n.endsWith('.cdb') && !n.startsWith('.'))
        out.push({ name: relative(dir, p), content: readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

export function readWazuhRuleset(dir: string, options: { includeTestFiles: boolean }): RulesetInput {
  const testDir = join(dir, 'testing', 'ruleset');
  const decoders = xmlFiles(join(dir, 'decoders'));
  const rules = xmlFiles(join(dir, 'rules'));
  if (options.includeTestFiles) {
    decoders.push(...xmlFiles(testDir, (n) => n.includes('decoders')));
    rules.push(...xmlFiles(testDir, (n) => !n.includes('decoders')));
  }
  return { decoders, rules, lists: listFiles(join(dir, 'lists')) };
}
