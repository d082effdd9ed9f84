import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bounds of one expansion: a glob over a large tree must not stall the agent. */
export interface GlobLimits {
  /** Paths returned at most; the rest are reported as left out. */
  readonly maxMatches: number;
  /** Directory entries examined at most over the whole expansion. */
  readonly maxEntries: number;
}

export const GLOB_LIMITS: GlobLimits = { maxMatches: 256, maxEntries: 20_000 };

export interface GlobResult {
  /** Matching paths, sorted. Literal paths are returned as they are, existing or not. */
  readonly paths: string[];
  /** Why the expansion is incomplete (a limit hit, a directory unreadable), if it is. */
  readonly problems: { readonly path: string; readonly reason: string }[];
}

export function hasWildcard(text: string): boolean {
  return /[*?]/.test(text);
}

function componentRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * Expands `*` and `?` in any component of an absolute path (`/var/log/*\/access.log`), one
 * directory level per wildcard component (no `**`). Hidden names match only a pattern that starts
 * with a dot, as in a shell. A directory reached through a wildcard that is a symbolic link is
 * not entered unless `followSymlinks`: the link could lead anywhere on the host.
 */
export function expandGlob(pattern: string, followSymlinks: boolean, limits: GlobLimits = GLOB_LIMITS): GlobResult {
  if (!hasWildcard(pattern)) return { paths: [pattern], problems: [] };
  const components = pattern.split('/').filter((c) => c !== '');
  const problems: { path: string; reason: string }[] = [];
  let budget = limits.maxEntries;
  let current = ['/'];
  for (let index = 0; index < components.length; index++) {
    const component = components[index] as string;
    const last = index === components.length - 1;
    if (!hasWildcard(component)) {
      current = current.map((dir) => join(dir, component));
      continue;
    }
    const re = componentRegExp(component);
    const next: string[] = [];
    for (const dir of current) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR')
          problems.push({ path: dir, reason: `directory unreadable (${code})` });
        continue;
      }
      names.sort();
      for (const name of names) {
        if (--budget < 0) break;
        if (name.startsWith('.') && !component.startsWith('.')) continue;
        if (!re.test(name)) continue;
        const path = join(dir, name);
        if (!last) {
          let isLink = false;
          try {
            isLink = lstatSync(path).isSymbolicLink();
          } catch {
            continue;
          }
          if (isLink && !followSymlinks) {
            problems.push({ path, reason: 'symbolic link to a directory, not followed (followSymlinks is off)' });
            continue;
          }
        }
        next.push(path);
      }
      if (budget < 0) break;
    }
    if (budget < 0) {
      problems.push({
        path: pattern,
        reason: `more than ${limits.maxEntries} directory entries examined; expansion cut short`,
      });
    }
    current = next;
    if (current.length === 0) break;
  }
  // Literal components after a wildcard name paths that may not exist: only existing ones matched.
  current = current.filter((path) => {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  });
  current.sort();
  if (current.length > limits.maxMatches) {
    problems.push({
      path: pattern,
      reason: `${current.length} files match; only the first ${limits.maxMatches} are followed`,
    });
    current = current.slice(0, limits.maxMatches);
  }
  return { paths: current, problems };
}
