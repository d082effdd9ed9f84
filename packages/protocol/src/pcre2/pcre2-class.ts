/**
 * PCRE2 character classes and escapes in 8-bit, non-UCP mode (how OSSEC compiles them), as
 * JavaScript class bodies that match exactly the same characters.
 */

const SPACE = '\\t\\n\\x0B\\f\\r ';
/** PCRE2's classes in 8-bit, non-UCP mode, as JavaScript class bodies. */
export const CLASS_ESCAPES: Readonly<Record<string, string>> = {
  d: '0-9',
  w: 'A-Za-z0-9_',
  s: SPACE,
  h: '\\t \\xA0',
  v: '\\n\\x0B\\f\\r\\x85',
};
export const NEGATED_CLASS_ESCAPES: Readonly<Record<string, string>> = { D: 'd', W: 'w', S: 's', H: 'h', V: 'v' };
export const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  t: '\\t',
  n: '\\n',
  r: '\\r',
  f: '\\f',
  e: '\\x1B',
  a: '\\x07',
};
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: SPACE,
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: 'A-Za-z0-9_',
  cntrl: '\\x00-\\x1F\\x7F',
  print: ' -~',
  graph: '!-~',
};
export function hex(code: number): string {
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The other-case letters of an ASCII range, to add to a class under PCRE2_CASELESS. */
function otherCase(from: number, to: number): string {
  let out = '';
  for (let c = Math.max(from, 65); c <= Math.min(to, 122); c++) {
    if (c >= 65 && c <= 90) out += String.fromCharCode(c + 32);
    else if (c >= 97 && c <= 122) out += String.fromCharCode(c - 32);
  }
  return out;
}

/** A `[...]` class from `start`, as a JavaScript class. */
export function parseClass(
  pattern: string,
  start: number,
  caseless: boolean,
  /** Why an escaped character code cannot be matched (pcre2.ts: byte escapes on decoded text). */
  escapeProblem: (code: number) => string | undefined = () => undefined,
): { ok: true; source: string; end: number } | { ok: false; what: string } {
  let j = start + 1;
  let negate = false;
  if (pattern[j] === '^') {
    negate = true;
    j++;
  }
  let body = '';
  let extra = '';
  let first = true;
  /** A class escape that JavaScript cannot put inside a class, allowed only as the whole class. */
  let alone: string | undefined;
  let items = 0;
  const single = (): { code: number } | { cls: string } | { what: string } | undefined => {
    const c = pattern[j];
    if (c === undefined) return undefined;
    if (c === '\\') {
      const n = pattern[j + 1];
      if (n === undefined) return { what: 'an unclosed class' };
      j += 2;
      if (CLASS_ESCAPES[n] !== undefined) return { cls: CLASS_ESCAPES[n] as string };
      if (NEGATED_CLASS_ESCAPES[n] !== undefined)
        return { cls: `^${CLASS_ESCAPES[NEGATED_CLASS_ESCAPES[n] as string]}` };
      if (SIMPLE_ESCAPES[n] !== undefined)
        return { code: ({ t: 9, n: 10, r: 13, f: 12, e: 27, a: 7 } as const)[n as 't'] };
      if (n === 'x') {
        const braced = /^\{([0-9A-Fa-f]{1,4})\}/.exec(pattern.slice(j));
        const plain = /^[0-9A-Fa-f]{0,2}/.exec(pattern.slice(j)) as RegExpExecArray;
        const digits = braced ? (braced[1] as string) : plain[0];
        j += braced ? braced[0].length : plain[0].length;
        const code = digits === '' ? 0 : Number.parseInt(digits, 16);
        const problem = escapeProblem(code);
        return problem ? { what: problem } : { code };
      }
      if (n === 'b') return { code: 8 };
      if (/[A-Za-z0-9]/.test(n)) return { what: `the escape \\${n} in a class` };
      return { code: n.charCodeAt(0) };
    }
    const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(j));
    if (posix) {
      const cls = POSIX_CLASSES[posix[2] as string];
      if (cls === undefined) return { what: `the POSIX class [:${posix[2]}:]` };
      j += posix[0].length;
      return { cls: posix[1] ? `^${cls}` : cls };
    }
    if (c === '[' && /^\[[.=]/.test(pattern.slice(j))) return { what: 'a POSIX collating element' };
    j++;
    return { code: c.charCodeAt(0) };
  };
  while (j < pattern.length && (pattern[j] !== ']' || first)) {
    first = false;
    const a = single();
    if (a === undefined) break;
    if ('what' in a) return { ok: false, what: a.what };
    items++;
    if ('cls' in a) {
      if (a.cls.startsWith('^')) alone = a.cls.slice(1);
      else body += a.cls;
      continue;
    }
    let to = a.code;
    if (pattern[j] === '-' && pattern[j + 1] !== undefined && pattern[j + 1] !== ']') {
      j++;
      const b = single();
      if (b === undefined || 'what' in b) return { ok: false, what: b?.what ?? 'an unclosed class' };
      if ('cls' in b) return { ok: false, what: 'a range ending in a class escape' };
      to = b.code;
      if (to < a.code) return { ok: false, what: 'invalid range out of order' };
    }
    body += a.code === to ? hex(a.code) : `${hex(a.code)}-${hex(to)}`;
    if (caseless) extra += otherCase(a.code, to);
  }
  if (pattern[j] !== ']') return { ok: false, what: 'invalid class without its ]' };
  if (alone !== undefined) {
    if (items !== 1)
      return { ok: false, what: 'a negated class escape (\\S, \\D, \\W, \\H, \\V, [:^...:]) among others' };
    return { ok: true, source: negate ? `[${alone}]` : `[^${alone}]`, end: j + 1 };
  }
  const all = body + extra;
  return { ok: true, source: all === '' ? (negate ? '[\\s\\S]' : '[]') : `[${negate ? '^' : ''}${all}]`, end: j + 1 };
}
