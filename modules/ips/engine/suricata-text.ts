/**
 * The text layer of the Suricata rule language: a .rules file into rules (comments, lines
 * continued with a trailing backslash), a rule into its header and its options, option values
 * into what they mean (quoted strings, content with |hex| and escapes, numeric comparisons).
 * Nothing here throws: every function answers with a value or a message.
 */

export interface RuleText {
  /** 1-based line where the rule starts in the file. */
  readonly line: number;
  readonly text: string;
}

/** The rules of a .rules file, in order; comment and blank lines skipped. */
export function splitRulesFile(file: string): RuleText[] {
  const out: RuleText[] = [];
  const lines = file.split(/\r?\n/);
  let pending = '';
  let start = 0;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    if (pending === '') {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      start = n + 1;
    }
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1);
      continue;
    }
    pending += line;
    out.push({ line: start, text: pending.trim() });
    pending = '';
  }
  if (pending.trim() !== '') out.push({ line: start, text: pending.trim() });
  return out;
}

export interface RuleOption {
  readonly keyword: string;
  /** Raw value after the colon, trimmed; undefined for a keyword without a value. */
  readonly value: string | undefined;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** `header (options)` into the header words and the options text. */
export function splitRule(text: string): Parsed<{ header: string; options: string }> {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) return { ok: false, message: 'a rule is "header (options)"; no options found' };
  if (text.slice(close + 1).trim() !== '') return { ok: false, message: 'text after the closing parenthesis' };
  return { ok: true, value: { header: text.slice(0, open).trim(), options: text.slice(open + 1, close) } };
}

/** Options separated by unescaped `;` (quotes keep a `;` inside a value). */
export function splitOptions(options: string): Parsed<RuleOption[]> {
  const out: RuleOption[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < options.length; i++) {
    const c = options[i] as string;
    if (c === '\\' && i + 1 < options.length) {
      current += c + (options[i + 1] as string);
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      const option = toOption(current);
      if (option === null) return { ok: false, message: `a malformed option "${current.trim().slice(0, 60)}"` };
      if (option !== undefined) out.push(option);
      current = '';
      continue;
    }
    current += c;
  }
  if (quoted) return { ok: false, message: 'an unclosed quote' };
  if (current.trim() !== '')
    return { ok: false, message: `the last option "${current.trim().slice(0, 60)}" lacks its ";"` };
  return { ok: true, value: out };
}

function toOption(text: string): RuleOption | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const colon = trimmed.indexOf(':');
  const keyword = (colon === -1 ? trimmed : trimmed.slice(0, colon)).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(keyword)) return null;
  return { keyword: keyword.toLowerCase(), value: colon === -1 ? undefined : trimmed.slice(colon + 1).trim() };
}

/** A quoted option value without its quotes, `\"` `\;` `\\` `\:` unescaped; unquoted values as they are. */
export function unquote(value: string): Parsed<string> {
  const v = value.trim();
  const quoted = v.length >= 2 && v.startsWith('"') && v.endsWith('"');
  const body = quoted ? v.slice(1, -1) : v;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined) return { ok: false, message: 'a trailing backslash' };
      out += n;
      i++;
      continue;
    }
    out += c;
  }
  return { ok: true, value: out };
}

/**
 * A content value into its bytes, as a latin1 string (one char per byte): `|41 42|` hex,
 * `\"` `\;` `\\` `\:` escapes. Any other escape or a bad hex block refuses the value.
 */
export function decodeContent(value: string): Parsed<{ bytes: string; negated: boolean }> {
  let v = value.trim();
  let negated = false;
  if (v.startsWith('!')) {
    negated = true;
    v = v.slice(1).trim();
  }
  if (v.length < 2 || !v.startsWith('"') || !v.endsWith('"')) return { ok: false, message: 'content must be quoted' };
  const body = v.slice(1, -1);
  let out = '';
  let hexMode = false;
  let hexDigits = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (hexMode) {
      if (c === '|') {
        if (hexDigits.length % 2 !== 0) return { ok: false, message: 'an odd number of hex digits' };
        for (let k = 0; k < hexDigits.length; k += 2)
          out += String.fromCharCode(Number.parseInt(hexDigits.slice(k, k + 2), 16));
        hexDigits = '';
        hexMode = false;
      } else if (/[0-9A-Fa-f]/.test(c)) hexDigits += c;
      else if (c !== ' ' && c !== '\t') return { ok: false, message: `"${c}" inside a |hex| block` };
      continue;
    }
    if (c === '|') {
      hexMode = true;
      continue;
    }
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined || !'";\\:'.includes(n)) return { ok: false, message: `the escape \\${n ?? ''} in content` };
      out += n;
      i++;
      continue;
    }
    if (c === '"' || c === ';') return { ok: false, message: `an unescaped ${c} in content` };
    out += c;
  }
  if (hexMode) return { ok: false, message: 'an unclosed |hex| block' };
  if (out.length === 0) return { ok: false, message: 'empty content' };
  return { ok: true, value: { bytes: out, negated } };
}

/** A comparison on a number: `N`, `<N`, `>N`, `<=N`, `>=N`, `!N`, `N<>M` (exclusive, Suricata's). */
export interface NumericTest {
  readonly op: '=' | '!=' | '<' | '>' | '<=' | '>=' | '<>';
  readonly a: number;
  readonly b?: number;
}

export function parseNumericTest(value: string): Parsed<NumericTest> {
  const v = value.replace(/\s+/g, '');
  const range = /^(\d{1,10})<>(\d{1,10})$/.exec(v);
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (a >= b) return { ok: false, message: `the range ${v} is empty` };
    return { ok: true, value: { op: '<>', a, b } };
  }
  const m = /^(<=|>=|<|>|!|=)?(\d{1,10})$/.exec(v);
  if (!m) return { ok: false, message: `"${value}" is not a number comparison` };
  const op = m[1] === undefined || m[1] === '=' ? '=' : m[1] === '!' ? '!=' : (m[1] as NumericTest['op']);
  return { ok: true, value: { op, a: Number(m[2]) } };
}

export function testNumber(t: NumericTest, n: number): boolean {
  switch (t.op) {
    case '=':
      return n === t.a;
    case '!=':
      return n !== t.a;
    case '<':
      return n < t.a;
    case '>':
      return n > t.a;
    case '<=':
      return n <= t.a;
    case '>=':
      return n >= t.a;
    case '<>':
      return n > t.a && n < (t.b as number);
  }
}

/** A non-negative or signed integer option value (depth, offset, distance...). */
export function parseInteger(value: string | undefined, signed: boolean): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!(signed ? /^-?\d{1,9}$/ : /^\d{1,9}$/).test(v)) return undefined;
  return Number(v);
}

const NON_ASCII = /[\u0080-\uffff]/;
const BEYOND_LATIN1 = /[\u0100-\uffff]/;

/** ASCII-only lower case, as Suricata's nocase (bytes above 127 unchanged). */
export function asciiLower(s: string): string {
  // Pure ASCII (most of what the IPS reads): the native lower-casing maps exactly A-Z.
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  // Latin-1 text (packet bytes): lower A-Z byte by byte, leave the rest as it is.
  if (!BEYOND_LATIN1.test(s)) {
    const bytes = Buffer.from(s, 'latin1');
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i] as number;
      if (c >= 0x41 && c <= 0x5a) bytes[i] = c | 0x20;
    }
    return bytes.toString('latin1');
  }
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
