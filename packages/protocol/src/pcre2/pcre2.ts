/**
 * PCRE2 patterns (Wazuh's `type="pcre2"`, OSSEC 3.4+'s `<pcre2>`, `<url_pcre2>`...) translated to
 * JavaScript RegExp source, construct by construct, only where the JavaScript construct means
 * exactly what PCRE2's does; anything else refuses the pattern with the construct named. OSSEC
 * compiles without PCRE2_UTF, so PCRE2's `\d \w \s`, `.`, `\b` and caseless matching are ASCII
 * (or byte) rules: they are written out as explicit ASCII classes, never with JavaScript's `i`,
 * `s` or `u` flags, whose Unicode rules differ.
 *
 * The translation also says whether the backtracking guard can bound the pattern: V8's
 * linear-time engine takes no lookaround and no backreference, so such a pattern is accepted
 * only when its shape bounds the work (see `unbounded`).
 */

import { CLASS_ESCAPES, hex, NEGATED_CLASS_ESCAPES, parseClass, SIMPLE_ESCAPES } from './pcre2-class.js';

export interface Pcre2Translation {
  readonly ok: true;
  readonly source: string;
  readonly captures: number;
  /**
   * Why the pattern, if V8 cannot run it in linear time, could still backtrack without bound;
   * undefined when its shape bounds the work (anchored, no repetition inside a repetition, one
   * unbounded repetition per lookaround and one outside them).
   */
  readonly unbounded: string | undefined;
}
export type Pcre2Result = Pcre2Translation | { readonly ok: false; readonly message: string };

/** `^` in multi-line mode: PCRE2 starts a line after "\n" only, JavaScript's `m` also after "\r". */
const MULTILINE_START = '(?<![^\\n])';
/** OSSEC's shortcut (OSPcre2_CouldBeOptimized): such a pattern is compared as a string. */
const PLAIN = /^\^?[a-zA-Z0-9 !"#%&',/:;<=>@_`~-]*\$?$/;

/** One literal character as JavaScript source, caseless as explicit ASCII pairs. */
function literal(code: number, caseless: boolean): string {
  const c = String.fromCharCode(code);
  if (caseless && /[A-Za-z]/.test(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
  if (/[A-Za-z0-9 _,:;'"<>=!@#%&~`-]/.test(c)) return c;
  return hex(code);
}

interface Options {
  caseless: boolean;
  dotAll: boolean;
  multiline: boolean;
  ungreedy: boolean;
}

interface Group {
  readonly lookaround: boolean;
  /** The options in force where the group opened; restored when it closes. */
  readonly outer: Options;
  /** A repetition occurs inside (directly or in a nested group). */
  quantified: boolean;
  /** Unbounded repetitions counted against this group's budget (lookarounds keep their own). */
  unbounded: number;
}

export interface Pcre2Options {
  readonly caseless?: boolean;
  /**
   * OSSEC compares a pattern without special characters as a string, where `$` is the very end
   * of the subject (default true). PCRE2 itself (Suricata) does not: pass false.
   */
  readonly plainAsString?: boolean;
  /**
   * The subject is text decoded from UTF-8 (log inspection), not one character per byte (the IPS
   * reads payloads as latin1). Without (*UTF), PCRE2 (and OSSEC, which compiles without
   * PCRE2_UTF) reads `\xNN` from 0x80 up as one byte of a multibyte character, which a decoded
   * character never equals: such an escape is refused rather than matched as the code point.
   */
  readonly textSubject?: boolean;
}

export function translatePcre2(pattern: string, options: Pcre2Options = {}): Pcre2Result {
  const fail = (what: string): Pcre2Result => ({
    ok: false,
    message: `PCRE2 pattern ${JSON.stringify(pattern)}: ${what} has no exact JavaScript equivalent`,
  });
  let o: Options = { caseless: options.caseless ?? false, dotAll: false, multiline: false, ungreedy: false };
  let i = 0;
  let utf = false;
  // Leading verbs: (*UTF) makes PCRE2 count characters, as JavaScript does; others change matching.
  for (;;) {
    const verb = /^\(\*([A-Z_0-9=]+)\)/.exec(pattern.slice(i));
    if (!verb) break;
    if (verb[1] !== 'UTF' && verb[1] !== 'UTF8') return fail(`the verb (*${verb[1]})`);
    utf = true;
    i += verb[0].length;
  }
  /** Why a character code cannot be matched on this subject; undefined when it can. */
  const byteProblem = (code: number): string | undefined =>
    options.textSubject && !utf && code >= 0x80
      ? `the byte escape \\x${code.toString(16)} (without (*UTF) PCRE2 matches one byte of a UTF-8 sequence there, and this engine matches decoded characters)`
      : undefined;
  if (options.plainAsString !== false && PLAIN.test(pattern.slice(i))) {
    // Compared as a string by OSSEC: `$` is the end of the subject, never before a final newline.
    const body = pattern.slice(i);
    let out = '';
    for (let k = 0; k < body.length; k++) {
      const c = body[k] as string;
      out += (c === '^' && k === 0) || (c === '$' && k === body.length - 1) ? c : literal(c.charCodeAt(0), o.caseless);
    }
    return { ok: true, source: out, captures: 0, unbounded: undefined };
  }
  let out = '';
  let captures = 0;
  let hasBackreference = false;
  let hasLookaround = false;
  let nested = false;
  const stack: Group[] = [{ lookaround: false, outer: o, quantified: false, unbounded: 0 }];
  /** Per lookaround and for the pattern outside them: the most unbounded repetitions seen. */
  let worstBudget = 0;
  /** Whether the last thing emitted can take a quantifier, and if it was a group, that group. */
  let atom: 'none' | 'char' | Group = 'none';
  let anchored = true;
  let alternativeStart = true;

  const top = (): Group => stack[stack.length - 1] as Group;
  const emit = (s: string, kind: 'none' | 'char' | Group): void => {
    if (alternativeStart && stack.length === 1) {
      // Multi-line `^` anchors too: each attempt fails at once away from a line start.
      if (s !== '^' && s !== MULTILINE_START) anchored = false;
    }
    alternativeStart = false;
    out += s;
    atom = kind;
  };

  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) return fail('a trailing backslash');
      i += 2;
      if (CLASS_ESCAPES[n] !== undefined) {
        emit(`[${CLASS_ESCAPES[n]}]`, 'char');
      } else if (NEGATED_CLASS_ESCAPES[n] !== undefined) {
        emit(`[^${CLASS_ESCAPES[NEGATED_CLASS_ESCAPES[n] as string]}]`, 'char');
      } else if (SIMPLE_ESCAPES[n] !== undefined) {
        emit(SIMPLE_ESCAPES[n] as string, 'char');
      } else if (n === 'b' || n === 'B') {
        emit(`\\${n}`, 'none');
      } else if (n === 'A') {
        if (o.multiline) return fail('\\A in multi-line mode');
        emit('^', 'none');
      } else if (n === 'z' || n === 'Z') {
        if (o.multiline) return fail(`\\${n} in multi-line mode`);
        const atEnd = stack.length === 1 && (i === pattern.length || pattern[i] === '|');
        if (n === 'z') emit('$', 'none');
        else if (atEnd) emit('\\n?$', 'none');
        else {
          hasLookaround = true;
          emit('(?=\\n?$)', 'none');
        }
      } else if (n === 'N' && pattern[i] === '{') {
        const u = /^\{U\+([0-9A-Fa-f]{1,4})\}/.exec(pattern.slice(i));
        if (!u) return fail('a \\N{...} outside the Basic Multilingual Plane');
        i += u[0].length;
        emit(literal(Number.parseInt(u[1] as string, 16), o.caseless), 'char');
      } else if (n === 'N') {
        emit('[^\\n]', 'char');
      } else if (n === 'x') {
        const braced = /^\{([0-9A-Fa-f]{1,4})\}/.exec(pattern.slice(i));
        const plain = /^[0-9A-Fa-f]{0,2}/.exec(pattern.slice(i)) as RegExpExecArray;
        const digits = braced ? (braced[1] as string) : plain[0];
        i += braced ? braced[0].length : plain[0].length;
        const code = digits === '' ? 0 : Number.parseInt(digits, 16);
        const problem = byteProblem(code);
        if (problem) return fail(problem);
        emit(literal(code, o.caseless), 'char');
      } else if (n === 'Q') {
        const end = pattern.indexOf('\\E', i);
        const quoted = pattern.slice(i, end === -1 ? undefined : end);
        i = end === -1 ? pattern.length : end + 2;
        for (const q of quoted) emit(literal(q.charCodeAt(0), o.caseless), 'char');
      } else if (n === 'E') {
        // A stray \E does nothing in PCRE2.
      } else if (/[0-9]/.test(n) || n === 'g' || n === 'k') {
        if (n === '0') {
          const octal = /^[0-7]{0,2}/.exec(pattern.slice(i)) as RegExpExecArray;
          i += octal[0].length;
          emit(literal(Number.parseInt(`0${octal[0]}`, 8), o.caseless), 'char');
        } else {
          hasBackreference = true;
          return fail(`the backreference \\${n}`);
        }
      } else if (/[A-Za-z]/.test(n)) {
        return fail(`the escape \\${n}`);
      } else {
        emit(literal(n.charCodeAt(0), o.caseless), 'char');
      }
      continue;
    }
    if (c === '[') {
      const parsed = parseClass(pattern, i, o.caseless, byteProblem);
      if (!parsed.ok)
        return parsed.what.startsWith('invalid')
          ? { ok: false, message: `invalid PCRE2 pattern ${JSON.stringify(pattern)}: ${parsed.what}` }
          : fail(parsed.what);
      i = parsed.end;
      emit(parsed.source, 'char');
      continue;
    }
    if (c === '(') {
      const rest = pattern.slice(i);
      if (rest.startsWith('(?#')) {
        const end = pattern.indexOf(')', i);
        if (end === -1) return fail('an unclosed comment');
        i = end + 1;
        continue;
      }
      // Options: `(?i)` holds to the end of the enclosing group, `(?i:...)` inside its own group.
      const flags = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(rest);
      if (flags && (flags[1] !== '' || flags[2] !== undefined)) {
        const on = flags[1] ?? '';
        const off = flags[2] ?? '';
        for (const f of on + off) if (!'imsU'.includes(f)) return fail(`the option (?${f})`);
        const set = (f: string, was: boolean): boolean => (on.includes(f) ? true : off.includes(f) ? false : was);
        const changed: Options = {
          caseless: set('i', o.caseless),
          dotAll: set('s', o.dotAll),
          multiline: set('m', o.multiline),
          ungreedy: set('U', o.ungreedy),
        };
        i += flags[0].length;
        if (flags[3] === ')') {
          o = changed;
          continue;
        }
        stack.push({ lookaround: false, outer: o, quantified: false, unbounded: 0 });
        o = changed;
        if (alternativeStart && stack.length === 2) anchored = false;
        alternativeStart = false;
        out += '(?:';
        atom = 'none';
        continue;
      }
      let opener: string;
      let lookaround = false;
      let capturing = false;
      let name: string | undefined;
      const named = /^\(\?(?:P?<([A-Za-z_][A-Za-z0-9_]*)>|'([A-Za-z_][A-Za-z0-9_]*)')/.exec(rest);
      if (named) {
        name = named[1] ?? named[2];
        opener = named[0];
        capturing = true;
      } else if (rest.startsWith('(?:')) opener = '(?:';
      else if (/^\(\?(?:=|!|<=|<!)/.test(rest)) {
        opener = (/^\(\?(?:=|!|<=|<!)/.exec(rest) as RegExpExecArray)[0];
        lookaround = true;
        hasLookaround = true;
      } else if (rest.startsWith('(?') || rest.startsWith('(*')) {
        return fail(`the group ${rest.slice(0, 4)}...`);
      } else {
        opener = '(';
        capturing = true;
      }
      i += opener.length;
      if (capturing) captures++;
      const group: Group = { lookaround, outer: o, quantified: false, unbounded: 0 };
      stack.push(group);
      if (alternativeStart && stack.length === 2) anchored = false;
      alternativeStart = false;
      out += name !== undefined ? `(?<${name}>` : opener;
      atom = 'none';
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return { ok: false, message: `PCRE2 pattern ${JSON.stringify(pattern)}: unmatched )` };
      const group = stack.pop() as Group;
      o = group.outer;
      if (group.lookaround) worstBudget = Math.max(worstBudget, group.unbounded);
      else top().unbounded += group.unbounded;
      if (group.quantified) top().quantified = true;
      i++;
      out += ')';
      atom = group.lookaround ? 'none' : group;
      continue;
    }
    if (c === '|') {
      if (stack.length === 1) alternativeStart = true;
      out += '|';
      atom = 'none';
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(?:,\d*)?\}/.test(pattern.slice(i)))) {
      const q = c === '{' ? (/^\{\d+(?:,\d*)?\}/.exec(pattern.slice(i)) as RegExpExecArray)[0] : c;
      if (atom === 'none') return fail(`the quantifier ${q} with nothing to repeat`);
      i += q.length;
      let lazy = false;
      if (pattern[i] === '+') return fail(`the possessive quantifier ${q}+`);
      if (pattern[i] === '?') {
        lazy = true;
        i++;
      }
      if (o.ungreedy) lazy = !lazy;
      if (typeof atom === 'object' && atom.quantified) nested = true;
      top().quantified = true;
      if (c === '*' || c === '+' || /,\}$/.test(q)) top().unbounded++;
      out += q + (lazy ? '?' : '');
      atom = 'none';
      continue;
    }
    if (c === '{') {
      emit('\\{', 'char');
      i++;
      continue;
    }
    if (c === '.') {
      emit(o.dotAll ? '[\\s\\S]' : '[^\\n]', 'char');
      i++;
      continue;
    }
    if (c === '^') {
      if (o.multiline) hasLookaround = true;
      emit(o.multiline ? MULTILINE_START : '^', 'none');
      i++;
      continue;
    }
    if (c === '$') {
      // PCRE2's `$` also matches before a final newline; at the end of a top-level alternative
      // that is "\n?$" (the newline is outside every group); elsewhere a lookahead.
      const atEnd = stack.length === 1 && (i + 1 === pattern.length || pattern[i + 1] === '|');
      if (o.multiline || !atEnd) hasLookaround = true;
      emit(o.multiline ? '(?![^\\n])' : atEnd ? '\\n?$' : '(?=\\n?$)', 'none');
      i++;
      continue;
    }
    emit(literal(c.charCodeAt(0), o.caseless), 'char');
    i++;
  }
  if (stack.length > 1) return { ok: false, message: `PCRE2 pattern ${JSON.stringify(pattern)}: missing )` };
  worstBudget = Math.max(worstBudget, top().unbounded);
  let unbounded: string | undefined;
  if (hasBackreference) unbounded = 'a backreference';
  else if (nested) unbounded = 'a repetition inside a repetition';
  else if (!hasLookaround) unbounded = undefined;
  else if (!anchored) unbounded = 'a lookaround in a pattern not anchored with ^';
  else if (worstBudget > 1) unbounded = 'a lookaround with more than one unbounded repetition around it';
  try {
    new RegExp(out);
  } catch (error) {
    return { ok: false, message: `invalid PCRE2 pattern ${JSON.stringify(pattern)}: ${(error as Error).message}` };
  }
  return { ok: true, source: out, captures, unbounded };
}
