/**
 * Translators from the three pattern syntaxes of OSSEC/Wazuh files to JavaScript RegExp source.
 *
 * - OS_Match ("osmatch"): literal text, case-insensitive, with `^` and `$` anchors and `|` between
 *   alternatives. No other character is special.
 * - OS_Regex ("osregex"): a small regex language with the classes `\w \d \s \p \t \.` (and their
 *   negations), `+` and `*`, `^`/`$`, capture parentheses and top-level `|`. Case-insensitive.
 * - PCRE2: close to JavaScript's syntax; we rewrite the constructs JavaScript lacks.
 *
 * None of these produce nested quantifiers, so the worst case of a translated OS_Regex is
 * polynomial; the engine bounds input length and V8's backtrack fallback bounds the rest.
 */

export type Translation =
  | { readonly ok: true; readonly alternatives: readonly string[]; readonly flags: string; readonly captures: number }
  | { readonly ok: false; readonly message: string };

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g;

export function escapeLiteral(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/** Splits on `|` that is not escaped by a backslash. */
function splitAlternatives(pattern: string, backslashEscapes: boolean): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (backslashEscapes && c === '\\' && i + 1 < pattern.length) {
      current += c + (pattern[i + 1] as string);
      i++;
    } else if (c === '|') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

export function translateOsMatch(pattern: string): Translation {
  const alternatives = splitAlternatives(pattern, false).map((alt) => {
    let start = '';
    let end = '';
    let body = alt;
    if (body.startsWith('^')) {
      start = '^';
      body = body.slice(1);
    }
    if (body.endsWith('$')) {
      end = '$';
      body = body.slice(0, -1);
    }
    return start + escapeLiteral(body) + end;
  });
  return { ok: true, alternatives, flags: 'i', captures: 0 };
}

const OS_CLASSES: Readonly<Record<string, string>> = {
  w: '[\\w@-]',
  W: '[^\\w@-]',
  d: '\\d',
  D: '\\D',
  s: '\\s',
  S: '\\S',
  t: '\\t',
  p: `[()*+,\\-.:;<=>?\\[\\]!"'#$%&|{}]`,
  '.': '[\\s\\S]',
};

export function translateOsRegex(pattern: string): Translation {
  const alternatives: string[] = [];
  let captures = 0;
  for (const alt of splitAlternatives(pattern, true)) {
    let out = '';
    let open = 0;
    let groups = 0;
    let previousIsAtom = false;
    for (let i = 0; i < alt.length; i++) {
      const c = alt[i] as string;
      if (c === '\\') {
        const next = alt[i + 1];
        if (next === undefined) {
          // OSSEC takes a trailing backslash literally.
          out += '\\\\';
          previousIsAtom = true;
          continue;
        }
        i++;
        const cls = OS_CLASSES[next];
        out += cls ?? escapeLiteral(next);
        previousIsAtom = true;
      } else if (c === '+' || c === '*') {
        if (!previousIsAtom) {
          out += escapeLiteral(c);
          previousIsAtom = true;
        } else {
          // OSSEC ends a repetition as soon as the next element of the pattern matches, so it
          // is lazy; a repetition at the end of the pattern takes all it can.
          const last = /^\)*$/.test(alt.slice(i + 1));
          out += last ? c : `${c}?`;
          previousIsAtom = false;
        }
      } else if (c === '^' && i === 0) {
        out += '^';
        previousIsAtom = false;
      } else if (c === '$' && i === alt.length - 1) {
        out += '$';
        previousIsAtom = false;
      } else if (c === '(') {
        if (open > 0) return { ok: false, message: `nested parentheses are not allowed in OS_Regex: ${pattern}` };
        open++;
        groups++;
        out += '(';
        previousIsAtom = false;
      } else if (c === ')') {
        if (open === 0) return { ok: false, message: `unbalanced ')' in ${pattern}` };
        open--;
        out += ')';
        previousIsAtom = false;
      } else {
        out += escapeLiteral(c);
        previousIsAtom = true;
      }
    }
    if (open !== 0) return { ok: false, message: `unbalanced '(' in ${pattern}` };
    captures = Math.max(captures, groups);
    alternatives.push(out);
  }
  return { ok: true, alternatives, flags: 'i', captures };
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
};

export function translatePcre2(pattern: string): Translation {
  let source = pattern.replace(/^\(\*(?:UTF8?|UCP)\)/g, '').replace(/\\N\{U\+([0-9A-Fa-f]{1,6})\}/g, '\\u{$1}');
  let flags = source === pattern ? '' : 'u';
  const leading = /^\(\?([imsxU]+)\)/.exec(source);
  if (leading) {
    const f = leading[1] as string;
    if (f.includes('x')) return { ok: false, message: `PCRE2 extended mode (?x) is not supported: ${pattern}` };
    flags += f.replace(/[^ims]/g, '');
    source = source.slice(leading[0].length);
    // U (ungreedy) swaps the greediness of every quantifier.
    if (f.includes('U'))
      source = source.replace(/(\\.|\[(?:\\.|[^\]])*\]|\(\?)|([*+?]|\{\d+(?:,\d*)?\})(\?)?/g, (_m, atom, q, lazy) =>
        atom ? atom : lazy ? q : `${q}?`,
      );
  }
  if (/\(\?[imsx-]+\)/.test(source)) {
    // JavaScript (Node 20) has no inline modifiers; applying them to the whole pattern is the
    // closest meaning for the ruleset's uses (case-insensitive tails).
    const inner = source.match(/\(\?([imsx-]+)\)/g) ?? [];
    for (const m of inner) if (m.includes('i') && !m.includes('-i')) flags += 'i';
    source = source.replace(/\(\?[imsx-]+\)/g, '');
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\(\?>/g, '(?:')
    .replace(/\\A/g, '^')
    .replace(/\\[zZ]/g, '$')
    .replace(/\\h/g, '[ \\t]')
    .replace(/([^\\][*+?}])\+/g, '$1')
    .replace(/\[:(\w+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
  const unique = [...new Set(flags)].join('');
  let captures = 0;
  try {
    // Counting through a throwaway exec on an empty string tells us how many groups there are.
    const probe = new RegExp(`${source}|`, unique);
    captures = (probe.exec('')?.length ?? 1) - 1;
  } catch (error) {
    return { ok: false, message: `invalid PCRE2 pattern ${pattern}: ${(error as Error).message}` };
  }
  return { ok: true, alternatives: [source], flags: unique, captures };
}
