import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compilePathGlob, hasGlobSyntax } from '@bulwark/protocol';

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

/** A path with glob syntax (the platform's language: `*`, `**`, `?`, `[...]`, `{a,b}`) is expanded; any other is literal. */
export const hasWildcard = hasGlobSyntax;

/**
 * Expands a glob of the platform's language (packages/protocol/src/glob.ts) over the file system:
 * each component of an absolute path (`/var/log/*\/access.log`, `/var/log/{nginx,apache2}/*.log`)
 * is matched against one directory level, and a component that is `**` alone against any number
 * of levels (`/var/log/**\/*.log`); braces may not hold a '/'. Hidden names match only a
 * component that starts with a dot, as in a shell, and `**` does not descend into hidden
 * directories. A directory reached through a wildcard that is a symbolic link is not entered
 * unless `followSymlinks`: the link could lead anywhere on the host.
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
    if (component === '**') {
      const below = descend(current, followSymlinks, () => --budget >= 0, problems);
      // `**` last matches the files anywhere below; otherwise it stands for zero or more directories.
      current = last ? below.files : below.dirs;
      if (budget < 0) problems.push(cutShort(pattern, limits));
      if (current.length === 0) break;
      continue;
    }
    const compiled = compilePathGlob(component);
    if (!compiled.ok)
      return { paths: [], problems: [{ path: pattern, reason: `not a valid glob: ${compiled.message}` }] };
    const re = { test: (name: string) => compiled.glob.matches(name) };
    const next: string[] = [];
    for (const dir of current) {
      const names = sortedNames(dir, problems);
      if (names === null) continue;
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
    if (budget < 0) problems.push(cutShort(pattern, limits));
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

function cutShort(pattern: string, limits: GlobLimits): { path: string; reason: string } {
  return { path: pattern, reason: `more than ${limits.maxEntries} directory entries examined; expansion cut short` };
}

/**
 * `roots` and every directory below them, and the other entries found there; hidden names are
 * skipped, a symbolic link is entered only with `followSymlinks`, and `take()` is asked before
 * each entry (the expansion's budget).
 */
function descend(
  roots: readonly string[],
  followSymlinks: boolean,
  take: () => boolean,
  problems: { path: string; reason: string }[],
): { dirs: string[]; files: string[] } {
  const dirs: string[] = [];
  const files: string[] = [];
  const queue = [...roots];
  for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
    dirs.push(dir);
    const names = sortedNames(dir, problems);
    if (names === null) continue;
    for (const name of names) {
      if (!take()) return { dirs, files };
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      let stats: ReturnType<typeof lstatSync>;
      try {
        stats = lstatSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) queue.push(path);
      else if (stats.isSymbolicLink() && followSymlinks) queue.push(path);
      else files.push(path);
    }
  }
  return { dirs, files };
}

/** A directory's entries in order; null when it is gone (not a problem) or unreadable (one). */
function sortedNames(dir: string, problems: { path: string; reason: string }[]): string[] | null {
  try {
    return readdirSync(dir).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') problems.push({ path: dir, reason: `directory unreadable (${code})` });
    return null;
  }
}
