import { toBytePath } from './byte-path.js';

/**
 * Glob patterns for rule includes and excludes, matched against byte-string paths.
 *   *      any run of bytes without '/'
 *   **     any run of bytes, '/' included ("a/**\/b" also matches "a/b")
 *   ?      one byte other than '/'
 *   [abc] [a-z] [!abc]   one byte from (or not from) a set
 *   {x,y}  alternatives (may nest)
 * A pattern without '/' matches the last component of the path anywhere ("*.log"); a pattern
 * with '/' that does not start with '/' is taken relative to the rule's base directory.
 */
export interface Glob {
  readonly source: string;
  matches(bytePath: string): boolean;
}

export type GlobResult = { readonly ok: true; readonly glob: Glob } | { readonly ok: false; readonly message: string };

const MAX_PATTERN_LENGTH = 4096;

export function compileGlob(pattern: string, baseDirectory = '/'): GlobResult {
  if (pattern.length === 0) return { ok: false, message: 'a glob may not be empty' };
  if (pattern.length > MAX_PATTERN_LENGTH)
    return { ok: false, message: `a glob may be at most ${MAX_PATTERN_LENGTH} characters` };
  if (pattern.includes('\0')) return { ok: false, message: 'a glob may not contain a NUL character' };
  const bytes = toBytePath(pattern);
  let anchored: string;
  let basenameOnly = false;
  if (bytes.startsWith('/')) anchored = bytes;
  else if (bytes.includes('/')) anchored = `${toBytePath(baseDirectory).replace(/\/+$/, '')}/${bytes}`;
  else {
    anchored = bytes;
    basenameOnly = true;
  }
  const translated = translate(anchored, 0, false);
  if (!translated.ok) return translated;
  const expression = new RegExp(basenameOnly ? `(?:^|/)${translated.regex}$` : `^${translated.regex}$`, 's');
  return { ok: true, glob: { source: pattern, matches: (path) => expression.test(path) } };
}

type Translation = { ok: true; regex: string; end: number } | { ok: false; message: string };

function escapeByte(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

/** Translates from `start` until the end, or until an unmatched ',' or '}' when inside braces. */
function translate(p: string, start: number, inBraces: boolean): Translation {
  let regex = '';
  let i = start;
  while (i < p.length) {
    const ch = p[i]!;
    if (inBraces && (ch === ',' || ch === '}')) return { ok: true, regex, end: i };
    if (ch === '*') {
      if (p[i + 1] === '*') {
        const atSegmentStart = i === 0 || p[i - 1] === '/';
        if (atSegmentStart && p[i + 2] === '/') {
          regex += '(?:.*/)?';
          i += 3;
        } else {
          regex += '.*';
          i += 2;
          while (p[i] === '*') i += 1;
        }
      } else {
        regex += '[^/]*';
        i += 1;
      }
    } else if (ch === '?') {
      regex += '[^/]';
      i += 1;
    } else if (ch === '[') {
      const cls = characterClass(p, i);
      if (!cls.ok) return cls;
      regex += cls.regex;
      i = cls.end;
    } else if (ch === '{') {
      const alternatives: string[] = [];
      let j = i + 1;
      for (;;) {
        const inner = translate(p, j, true);
        if (!inner.ok) return inner;
        alternatives.push(inner.regex);
        if (inner.end >= p.length) return { ok: false, message: `unterminated '{' at position ${i}` };
        if (p[inner.end] === '}') {
          j = inner.end + 1;
          break;
        }
        j = inner.end + 1;
      }
      regex += `(?:${alternatives.join('|')})`;
      i = j;
    } else if (ch === '\\' && i + 1 < p.length) {
      regex += escapeByte(p[i + 1]!);
      i += 2;
    } else {
      regex += escapeByte(ch);
      i += 1;
    }
  }
  return { ok: true, regex, end: i };
}

function characterClass(p: string, open: number): Translation {
  let i = open + 1;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i += 1;
  }
  let body = '';
  let first = true;
  while (i < p.length && (p[i] !== ']' || first)) {
    const ch = p[i]!;
    if (ch === '/') return { ok: false, message: `'/' cannot appear inside '[...]' (position ${i})` };
    if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
      const low = ch;
      const high = p[i + 2]!;
      if (high < low) return { ok: false, message: `range ${low}-${high} is reversed (position ${i})` };
      body += `${escapeByte(low)}-${escapeByte(high)}`;
      i += 3;
    } else {
      body += escapeByte(ch);
      i += 1;
    }
    first = false;
  }
  if (i >= p.length) return { ok: false, message: `unterminated '[' at position ${open}` };
  return { ok: true, regex: negate ? `[^/${body}]` : `[${body}]`, end: i + 1 };
}

/** A set of globs; compiled once per rule. */
export interface GlobSet {
  readonly size: number;
  matches(bytePath: string): boolean;
}

export function globSet(globs: readonly Glob[]): GlobSet {
  return { size: globs.length, matches: (path) => globs.some((g) => g.matches(path)) };
}
