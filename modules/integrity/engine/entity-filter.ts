import { compileGlob, type Glob, type GlobSet, globSet } from './glob.js';
import type { CompiledRule } from './rule.js';

/** Include/exclude decisions for one rule, with the policy-wide exclusions folded in. */
export interface EntityFilter {
  /** Whether the entity is recorded (its own include/exclude). */
  includes(key: string): boolean;
  /** Whether a directory is excluded, so the walk does not descend into it. */
  prunes(directory: string): boolean;
}

function compileAll(patterns: readonly string[], base: string): Glob[] {
  const out: Glob[] = [];
  for (const pattern of patterns) {
    const compiled = compileGlob(pattern, base);
    // Rules are validated before they get here; an exclusion that does not compile is ignored
    // rather than failing the whole rule set.
    if (compiled.ok) out.push(compiled.glob);
  }
  return out;
}

/** The name globs of a non-file rule match: a package's name, "tcp:22" for a port, else the key. */
export function entityName(kind: CompiledRule['entity']['kind'], key: string): string {
  if (kind === 'packages') return key.split(':')[1] ?? key;
  if (kind === 'ports') {
    const match = /^(tcp|udp) .*:(\d+)$/.exec(key);
    return match ? `${match[1]}:${match[2]}` : key;
  }
  return key;
}

export function entityFilter(rule: CompiledRule, extraExclusions: readonly string[] = []): EntityFilter {
  const base = rule.entity.kind === 'files' ? rule.entity.base : '/';
  const include: GlobSet = globSet(compileAll(rule.entity.include ?? [], base));
  const exclude: GlobSet = globSet(
    compileAll([...(rule.entity.exclude ?? []), ...(rule.entity.kind === 'files' ? extraExclusions : [])], base),
  );
  if (rule.entity.kind !== 'files') {
    const kind = rule.entity.kind;
    return {
      includes: (key) => {
        const name = entityName(kind, key);
        return (include.size === 0 || include.matches(name)) && !exclude.matches(name);
      },
      prunes: () => false,
    };
  }
  return {
    includes: (path) => (include.size === 0 || include.matches(path)) && !exclude.matches(path),
    prunes: (directory) => exclude.matches(directory),
  };
}
