/**
 * Translators from the three pattern syntaxes of OSSEC/Wazuh files to JavaScript RegExp source.
 *
 * - OS_Match ("osmatch"): literal text, case-insensitive, with `^` and `$` anchors and `|` between
 *   alternatives. No other character is special.
 * - OS_Regex ("osregex"): a small regex language with the classes `\w \d \s \p \t \.` (and their
 *   negations), `+` and `*`, `^`/`$`, capture parentheses and top-level `|`. Case-insensitive.
 * - PCRE2: translated construct by construct where the meaning is exact (pcre2.ts).
 *
 * None of these produce nested quantifiers, so the worst case of a translated OS_Regex is
 * polynomial; the engine bounds input length and V8's backtrack fallback bounds the rest.
 */

import { translatePcre2 as translatePcre2Exactly } from '@bulwark/protocol/pcre2';

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
      /**
       * Why the pattern could backtrack without bound if V8 cannot run it in linear time;
       * undefined when its shape bounds the work (see pcre2.ts).
       */
      readonly unbounded?: string;
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

/** Translation of a PCRE2 pattern (see pcre2.ts), with its prefilter literal. */
export function translatePcre2(pattern: string, options: { caseless?: boolean } = {}): Translation {
  // Log lines are decoded UTF-8 text: byte escapes from 0x80 up are refused (see pcre2.ts).
  const t = translatePcre2Exactly(pattern, { ...options, textSubject: true });
  if (!t.ok) return t;
  const exact = requiredPcre2Literal(t.source);
  return {
    ok: true,
    alternatives: [t.source],
    flags: '',
    captures: t.captures,
    ...(exact ? { requiredExact: exact } : {}),
    ...(t.unbounded ? { unbounded: t.unbounded } : {}),
  };
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
