/**
 * The one glob language of Bulwark's rules and settings (file integrity includes and excludes,
 * log inspection's file paths). Pure: a pattern becomes a regular expression over a path.
 *
 *   *            any run of characters without '/'
 *   **           any run of characters, '/' included; "a/**\/b" also matches "a/b"
 *   ?            one character other than '/'
 *   [abc] [a-z]  one character from a set or range; [!abc] or [^abc] one not in it (never '/')
 *   {x,y}        one of the alternatives, which may hold globs and nest
 *   \c           the character c itself (\* is a star)
 *
 * Everything else stands for itself (a ',' or '}' outside braces too). A '/' may not appear inside [...]. How a pattern is
 * anchored (a base directory, a bare name matching the last component) is the caller's.
 */

/** The longest pattern accepted, in characters. */
export const MAX_GLOB_LENGTH = 4096;

export type GlobTranslation =
  | { readonly ok: true; readonly regex: string }
  | { readonly ok: false; readonly message: string };

export interface PathGlob {
  readonly source: string;
  /** True when the whole of `path` matches. */
  matches(path: string): boolean;
}

export type PathGlobResult =
  | { readonly ok: true; readonly glob: PathGlob }
  | { readonly ok: false; readonly message: string };

/** True when `text` holds glob syntax, i.e. is not a literal path. */
export function hasGlobSyntax(text: string): boolean {
  return /[*?[{\\]/.test(text);
}

/** The regular expression source (unanchored) of a pattern, or what is wrong with it. */
export function translateGlob(pattern: string): GlobTranslation {
  if (pattern.length === 0) return { ok: false, message: 'a glob may not be empty' };
  if (pattern.length > MAX_GLOB_LENGTH)
    return { ok: false, message: `a glob may be at most ${MAX_GLOB_LENGTH} characters` };
  if (pattern.includes('\0')) return { ok: false, message: 'a glob may not contain a NUL character' };
  const translated = translate(pattern, 0, false);
  return translated.ok ? { ok: true, regex: translated.regex } : translated;
}

/** A pattern matched against whole paths. */
export function compilePathGlob(pattern: string): PathGlobResult {
  const translated = translateGlob(pattern);
  if (!translated.ok) return translated;
  const expression = new RegExp(`^${translated.regex}$`, 's');
  return { ok: true, glob: { source: pattern, matches: (path) => expression.test(path) } };
}

type Translation = { ok: true; regex: string; end: number } | { ok: false; message: string };

function escapeChar(ch: string): string {
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
      const braces = alternatives(p, i);
      if (!braces.ok) return braces;
      regex += braces.regex;
      i = braces.end;
    } else if (ch === '\\' && i + 1 < p.length) {
      regex += escapeChar(p[i + 1]!);
      i += 2;
    } else {
      regex += escapeChar(ch);
      i += 1;
    }
  }
  return { ok: true, regex, end: i };
}

function alternatives(p: string, open: number): Translation {
  const options: string[] = [];
  let j = open + 1;
  for (;;) {
    const inner = translate(p, j, true);
    if (!inner.ok) return inner;
    options.push(inner.regex);
    if (inner.end >= p.length) return { ok: false, message: `unterminated '{' at position ${open}` };
    j = inner.end + 1;
    if (p[inner.end] === '}') break;
  }
  return { ok: true, regex: `(?:${options.join('|')})`, end: j };
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
      if (high === '/') return { ok: false, message: `'/' cannot appear inside '[...]' (position ${i + 2})` };
      if (high < low) return { ok: false, message: `range ${low}-${high} is reversed (position ${i})` };
      body += `${escapeChar(low)}-${escapeChar(high)}`;
      i += 3;
    } else {
      body += escapeChar(ch);
      i += 1;
    }
    first = false;
  }
  if (i >= p.length) return { ok: false, message: `unterminated '[' at position ${open}` };
  return { ok: true, regex: negate ? `[^/${body}]` : `[${body}]`, end: i + 1 };
}
