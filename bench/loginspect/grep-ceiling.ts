/**
 * A crude comparison for the engine: one `grep -E -i -c -f` over the corpus with the OS_Regex
 * decoder prematches of the ruleset translated to POSIX ERE. grep only answers "does some pattern
 * match this line"; the engine also runs the prematches in order, extracts fields and walks the
 * rule tree.
 *
 * Run with LC_ALL=C: in a UTF-8 locale GNU grep folds case per multibyte character and gives up
 * its DFA for hundreds of `-i` patterns (an earlier version of this bench measured 15,900
 * lines/s that way). Byte-wise matching is also what OSSEC does.
 *
 * Two sets. All prematches: a few (`\s`, ` `, `^\S+`) match every line at its first characters,
 * so grep decides each line at once and this is only the cost of reading lines. Selective
 * prematches (a literal run of 3+ letters or digits): no line is decided early, and grep's DFA
 * does not cope with hundreds of such patterns; it is slow enough that it runs on the first
 * lines of the corpus only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseXml } from '../../modules/loginspect/engine/index.js';

/** OS_Regex to POSIX ERE, one pattern per alternative; patterns grep cannot express are left out. */
export function osRegexToEre(pattern: string): string[] {
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

/** Every OS_Regex prematch of the ruleset's decoders, as ERE, in load order. */
export function prematchPatterns(rulesetDir: string): string[] {
  const patterns: string[] = [];
  for (const name of readdirSync(join(rulesetDir, 'decoders')).sort()) {
    const parsed = parseXml(readFileSync(join(rulesetDir, 'decoders', name), 'utf8'));
    if (!parsed.ok) continue;
    for (const d of parsed.elements)
      for (const c of d.children)
        if (c.name === 'prematch' && (c.attributes.type ?? 'osregex') === 'osregex')
          patterns.push(...osRegexToEre(c.text));
  }
  return patterns.filter((p) => p.length > 0);
}

/** The patterns that hold a literal run of 3+ letters or digits outside bracket expressions. */
export function selectivePatterns(patterns: readonly string[]): string[] {
  return patterns.filter((p) => /[A-Za-z0-9]{3}/.test(p.replace(/\[\^?(?:\[:[a-z]+:\][^\]]*|[^\]]*)\]/g, '')));
}

export interface GrepResult {
  readonly patterns: number;
  readonly lines: number;
  readonly matchedLines: number;
  readonly wallSeconds: number;
  /** grep's own user + system time, from /usr/bin/time; undefined without it. */
  readonly cpuSeconds: number | undefined;
}

export function runGrep(
  patterns: readonly string[],
  corpusPath: string,
  lines: number,
  patternFile: string,
): GrepResult | string {
  writeFileSync(patternFile, `${patterns.join('\n')}\n`);
  const args = ['-E', '-i', '-c', '-f', patternFile, corpusPath];
  const timed = existsSync('/usr/bin/time');
  const env = { ...process.env, LC_ALL: 'C' };
  const start = performance.now();
  const grep = timed
    ? spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', 'grep', ...args], { encoding: 'utf8', env })
    : spawnSync('grep', args, { encoding: 'utf8', env });
  const wallSeconds = (performance.now() - start) / 1000;
  if (grep.error || (grep.status !== 0 && grep.status !== 1))
    return `grep -E failed: ${grep.error?.message ?? grep.stderr.trim()}`;
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(grep.stderr);
  return {
    patterns: patterns.length,
    lines,
    matchedLines: Number(grep.stdout.trim()),
    wallSeconds,
    cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined,
  };
}
