import { translateGlob } from '@bulwark/protocol';
import { toBytePath } from './byte-path.js';

/**
 * Rule includes and excludes: the platform's glob language (packages/protocol/src/glob.ts: `*`,
 * `**`, `?`, `[...]`, `{a,b}`), matched against byte-string paths. A pattern without '/' matches
 * the last component of the path anywhere ("*.log"); a pattern with '/' that does not start with
 * '/' is taken relative to the rule's base directory.
 */
export interface Glob {
  readonly source: string;
  matches(bytePath: string): boolean;
}

export type GlobResult = { readonly ok: true; readonly glob: Glob } | { readonly ok: false; readonly message: string };

export function compileGlob(pattern: string, baseDirectory = '/'): GlobResult {
  if (pattern.length === 0) return { ok: false, message: 'a glob may not be empty' };
  const bytes = toBytePath(pattern);
  let anchored: string;
  let basenameOnly = false;
  if (bytes.startsWith('/')) anchored = bytes;
  else if (bytes.includes('/')) anchored = `${toBytePath(baseDirectory).replace(/\/+$/, '')}/${bytes}`;
  else {
    anchored = bytes;
    basenameOnly = true;
  }
  const translated = translateGlob(anchored);
  if (!translated.ok) return translated;
  const expression = new RegExp(basenameOnly ? `(?:^|/)${translated.regex}$` : `^${translated.regex}$`, 's');
  return { ok: true, glob: { source: pattern, matches: (path) => expression.test(path) } };
}

/** A set of globs; compiled once per rule. */
export interface GlobSet {
  readonly size: number;
  matches(bytePath: string): boolean;
}

export function globSet(globs: readonly Glob[]): GlobSet {
  return { size: globs.length, matches: (path) => globs.some((g) => g.matches(path)) };
}
