/**
 * Path patterns of rules: absolute paths with `*` (any run of characters without '/'), `**` (any
 * run, '/' included) and `?` (one character other than '/'). Anything else matches itself, so a
 * pattern never means more than it reads.
 */

/** The longest path pattern a rule may carry. */
export const MAX_PATH_PATTERN_CHARS = 1024;

export type PathPatternResult =
  | { readonly ok: true; readonly matches: (path: string) => boolean }
  | { readonly ok: false; readonly message: string };

export function compilePathPattern(pattern: string): PathPatternResult {
  if (!pattern.startsWith('/')) return { ok: false, message: `"${pattern}" is not an absolute path` };
  if (pattern.length > MAX_PATH_PATTERN_CHARS)
    return { ok: false, message: `a path pattern may be at most ${MAX_PATH_PATTERN_CHARS} characters` };
  if (pattern.includes('\0')) return { ok: false, message: 'a path pattern may not contain a NUL character' };
  if (!/[*?]/.test(pattern)) return { ok: true, matches: (path) => path === pattern };
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      regex += '.*';
      i++;
    } else if (c === '*') regex += '[^/]*';
    else if (c === '?') regex += '[^/]';
    else regex += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  const expression = new RegExp(`^${regex}$`, 's');
  return { ok: true, matches: (path) => expression.test(path) };
}
