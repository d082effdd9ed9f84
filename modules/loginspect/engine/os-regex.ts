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
  | {
      readonly ok: true;
      readonly alternatives: readonly string[];
      readonly flags: string;
      readonly captures: number;
      /**
       * For alternative i, lower-cased texts that must all occur in a subject for it to match
       * (longest first), or undefined when some alternative has none: cheap `includes` calls
       * before the regular expression. Every run of literals counts, not only the longest: a
       * rare `%` rules a line out where a common `: ` would not.
       */
      readonly required?: readonly (readonly string[])[];
      /** Case-sensitive text every match contains (PCRE2 without `i`), for the same purpose. */
      readonly requiredExact?: string;
    }
  | { readonly ok: false; readonly message: string };

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/-]/g;

export function escapeLiteral(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/**
 * Case-insensitive literal text as explicit classes ([aA]) instead of the `i` flag: V8 can only
 * move a pattern to its linear-time engine when it backtracks too much if the pattern has no `i`.
 */
function caselessLiteral(text: string): string {
  let out = '';
  for (const c of text) {
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    out += lower !== upper && lower.length === 1 && upper.length === 1 ? `[${lower}${upper}]` : escapeLiteral(c);
  }
  return out;
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
  // Without repetition there is nothing to backtrack, so the fast `i` flag is safe here.
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
  const repeats = /(^|[^\\])[+*]/.test(pattern.replace(/\\\\/g, ''));
  const literal = repeats ? caselessLiteral : escapeLiteral;
  const alternatives: string[] = [];
  const required: string[][] = [];
  let captures = 0;
  for (const alt of splitAlternatives(pattern, true)) {
    let out = '';
    let run = '';
    const runs: string[] = [];
    const endRun = (): void => {
      if (run.length > 0 && !runs.includes(run)) runs.push(run);
      run = '';
    };
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
        out += cls ?? literal(next);
        if (cls) endRun();
        else run += next.toLowerCase();
        previousIsAtom = true;
      } else if (c === '+' || c === '*') {
        if (!previousIsAtom) {
          out += literal(c);
          previousIsAtom = true;
        } else {
          // A `*` makes the previous character optional; either way the run of literals ends.
          if (c === '*') run = run.slice(0, -1);
          endRun();
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
        endRun();
        out += '(';
        previousIsAtom = false;
      } else if (c === ')') {
        if (open === 0) return { ok: false, message: `unbalanced ')' in ${pattern}` };
        open--;
        endRun();
        out += ')';
        previousIsAtom = false;
      } else {
        out += literal(c);
        run += c.toLowerCase();
        previousIsAtom = true;
      }
    }
    endRun();
    required.push(runs.sort((a, b) => b.length - a.length));
    if (open !== 0) return { ok: false, message: `unbalanced '(' in ${pattern}` };
    captures = Math.max(captures, groups);
    alternatives.push(out);
  }
  const useful = required.every((runs) => runs.length > 0);
  return { ok: true, alternatives, flags: repeats ? '' : 'i', captures, ...(useful ? { required } : {}) };
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
  let unique = [...new Set(flags)].join('');
  if (unique.includes('i')) {
    const caseless = caselessPcre2(source);
    if (caseless !== undefined) {
      source = caseless;
      unique = unique.replace('i', '');
    }
  }
  const exact = unique.includes('i') ? undefined : requiredPcre2Literal(source);
  let captures = 0;
  try {
    // Counting through a throwaway exec on an empty string tells us how many groups there are.
    const probe = new RegExp(`${source}|`, unique);
    captures = (probe.exec('')?.length ?? 1) - 1;
  } catch (error) {
    return { ok: false, message: `invalid PCRE2 pattern ${pattern}: ${(error as Error).message}` };
  }
  return { ok: true, alternatives: [source], flags: unique, captures, ...(exact ? { requiredExact: exact } : {}) };
}

/**
 * Rewrites a JavaScript regex source so that it matches without case distinction and without
 * the `i` flag (see caselessLiteral). Returns undefined for sources it does not understand.
 */
function caselessPcre2(source: string): string | undefined {
  let out = '';
  let i = 0;
  const swap = (c: string): string => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
  const isLetter = (c: string): boolean =>
    c.toLowerCase() !== c.toUpperCase() && c.length === 1 && swap(c).length === 1;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) return undefined;
      // Multi-character escapes are copied whole.
      const long = /^\\(?:[pPk][{<][^}>]*[}>]|u\{[0-9A-Fa-f]+\}|u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|c[A-Za-z])/.exec(
        source.slice(i),
      );
      const piece = long ? long[0] : `\\${next}`;
      out += piece;
      i += piece.length;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const group = /^\(\?(?:<[A-Za-z_][A-Za-z0-9_]*>|[:=!]|<[=!])/.exec(source.slice(i));
      if (!group) return undefined;
      out += group[0];
      i += group[0].length;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let body = '';
      let extra = '';
      if (source[j] === '^') {
        body += '^';
        j++;
      }
      if (source[j] === ']') {
        body += '\\]';
        j++;
      }
      while (j < source.length && source[j] !== ']') {
        const d = source[j] as string;
        if (d === '\\') {
          const esc = /^\\(?:[pP]\{[^}]*\}|u\{[0-9A-Fa-f]+\}|u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|.)/.exec(source.slice(j));
          if (!esc) return undefined;
          body += esc[0];
          j += esc[0].length;
          continue;
        }
        const to = source[j + 2];
        if (source[j + 1] === '-' && to !== undefined && to !== ']' && to !== '\\') {
          body += `${d}-${to}`;
          if (isLetter(d) && isLetter(to) && (d === d.toLowerCase()) === (to === to.toLowerCase()))
            extra += `${swap(d)}-${swap(to)}`;
          j += 3;
          continue;
        }
        body += d;
        if (isLetter(d)) extra += swap(d);
        j++;
      }
      if (j >= source.length) return undefined;
      out += `[${body}${extra}]`;
      i = j + 1;
      continue;
    }
    if (c === '{') {
      const quantifier = /^\{\d+(?:,\d*)?\}/.exec(source.slice(i));
      if (quantifier) {
        out += quantifier[0];
        i += quantifier[0].length;
        continue;
      }
    }
    out += isLetter(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
    i++;
  }
  try {
    new RegExp(out);
  } catch {
    return undefined;
  }
  return out;
}

/**
 * The longest run of literal characters outside any group and not made optional, which every
 * match must contain; undefined when the pattern has a top-level alternative or no such run.
 */
function requiredPcre2Literal(source: string): string | undefined {
  let best = '';
  let run = '';
  let depth = 0;
  const end = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined) return undefined;
      i++;
      if (depth === 0 && /[^A-Za-z0-9]/.test(n)) {
        run += n;
        continue;
      }
      end();
      // Skip the rest of multi-character escapes: \k<name>, \p{..}, \u{..}, \uXXXX, \xXX, \cX.
      const rest = source.slice(i + 1);
      const tail =
        /^(?:<[^>]*>|\{[^}]*\})/.exec(rest)?.[0] ??
        (n === 'u'
          ? (/^[0-9A-Fa-f]{4}/.exec(rest)?.[0] ?? '')
          : n === 'x'
            ? (/^[0-9A-Fa-f]{2}/.exec(rest)?.[0] ?? '')
            : n === 'c'
              ? rest.slice(0, 1)
              : '');
      i += tail.length;
    } else if (c === '[') {
      end();
      let j = i + 1;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '(') {
      end();
      depth++;
    } else if (c === ')') {
      end();
      depth--;
    } else if (c === '|') {
      if (depth === 0) return undefined;
      end();
    } else if (c === '{' && /^\{\d+(?:,\d*)?\}/.test(source.slice(i))) {
      // A counted repetition: {0,..} makes the previous character optional.
      if (source[i + 1] === '0') run = run.slice(0, -1);
      end();
      i = source.indexOf('}', i);
    } else if (c === '*' || c === '?') {
      run = run.slice(0, -1);
      end();
    } else if (c === '+' || c === '.' || c === '^' || c === '$') {
      end();
    } else if (depth === 0) {
      run += c;
    }
  }
  end();
  return best.length >= 2 ? best : undefined;
}
