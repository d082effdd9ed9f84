import assert from 'node:assert/strict';
import test from 'node:test';
import { translatePcre2 } from '@bulwark/protocol/pcre2';
import fc from 'fast-check';
import { compileMatcher } from './pattern.js';

function matches(pattern: string, subject: string, caseless = false): boolean {
  const m = compileMatcher(pattern, 'pcre2', { caseless });
  assert.ok(m.ok, m.ok ? '' : m.message);
  return m.matcher.test(subject);
}

function refusal(pattern: string): string {
  const t = translatePcre2(pattern);
  assert.equal(t.ok, false, `${pattern} should be refused`);
  return t.ok ? '' : t.message;
}

test('PCRE2 classes keep their 8-bit ASCII meaning, not JavaScript Unicode rules', () => {
  assert.equal(matches('a.b', 'a\rb'), true, 'PCRE2 . takes a carriage return');
  assert.equal(matches('a.b', 'a\nb'), false);
  assert.equal(matches('(?s)a.b', 'a\nb'), true);
  assert.equal(matches('a\\sb', 'a\x0Bb'), true, '\\s includes the vertical tab');
  assert.equal(matches('a\\sb', 'a\u00A0b'), false, 'no Unicode spaces in \\s');
  assert.equal(matches('^\\w+$', 'caf\u00E9'), false);
  assert.equal(matches('a\\vb', 'a\nb'), true, '\\v is any vertical space in PCRE2');
  assert.equal(matches('[[:digit:]]{3}-[[:alpha:]]', '123-x'), true);
  assert.equal(matches('[\\S]+x', ' ab x'), false);
});

test('caseless PCRE2 (OSSEC compiles *_pcre2 with PCRE2_CASELESS) folds ASCII letters only', () => {
  assert.equal(matches('failed password', 'FAILED Password for root', true), true);
  assert.equal(matches('failed password', 'FAILED Password for root', false), false);
  assert.equal(matches('^[a-c]+x', 'ABCx', true), true);
  assert.equal(matches('^[^a]', 'A', true), false);
  assert.equal(matches('\u00E9t\u00E9', '\u00C9T\u00C9', true), false, 'no folding outside ASCII');
  assert.equal(matches('(?i:abc)d', 'ABCd'), true);
  assert.equal(matches('(?i:abc)d', 'ABCD'), false);
  assert.equal(matches('^(?i)user$', 'USER'), true);
  assert.equal(matches('x(?-i)y', 'XY', true), false);
});

test('$ also matches before a final newline, except where OSSEC compares the pattern as a string', () => {
  assert.equal(matches('fo+$', 'foo\n'), true);
  assert.equal(matches('fo+$', 'foo\n\n'), false);
  assert.equal(matches('fo+\\z', 'foo\n'), false);
  assert.equal(matches('fo+\\Z', 'foo\n'), true);
  // OSPcre2_CouldBeOptimized: "^text$" is strcmp, "text$" a suffix compare.
  assert.equal(matches('^sshd$', 'sshd\n'), false);
  assert.equal(matches('^sshd$', 'SSHD', true), true);
  assert.equal(matches('denied$', 'access denied'), true);
});

test('constructs without an exact JavaScript equivalent refuse the pattern and name the construct', () => {
  assert.match(refusal('(a)\\1'), /backreference \\1/);
  assert.match(refusal('(?>a+)b'), /\(\?>/);
  assert.match(refusal('a++b'), /possessive/);
  assert.match(refusal('\\p{L}+'), /escape \\p/);
  assert.match(refusal('(?x) a b'), /option \(\?x\)/);
  assert.match(refusal('ab\\Kc'), /escape \\K/);
  assert.match(refusal('(*UCP)\\w'), /verb \(\*UCP\)/);
  assert.match(refusal('a[\\S\\d]'), /negated class escape/);
  assert.match(refusal('(?|(a)|(b))'), /group/);
});

test('the backtracking guard: what V8 cannot run in linear time is refused unless its shape bounds it', () => {
  // A backreference: 16 s on 29 characters before; now refused when the rule loads.
  const backref = compileMatcher('^(a+)+\\1$', 'pcre2');
  assert.equal(backref.ok, false);
  // A lookahead with nested repetition around it cannot use the linear engine either.
  const lookahead = compileMatcher('(?=x)(a+)+$', 'pcre2');
  assert.equal(lookahead.ok, false);
  assert.match(lookahead.ok ? '' : lookahead.message, /backtracking guard/);
  // Anchored, one repetition per lookaround and one outside: bounded, accepted.
  assert.equal(matches('^(?!^-$).+', '-x'), true);
  assert.equal(matches('^(?!^-$).+', '-'), false);
  // Nested repetition without lookaround: V8 switches to its linear engine when it backtracks.
  const nested = compileMatcher('^(a+)+$', 'pcre2');
  assert.ok(nested.ok);
  const started = performance.now();
  assert.equal(nested.matcher.test(`${'a'.repeat(5000)}b`), false);
  assert.ok(performance.now() - started < 5000, 'bounded by the linear-time fallback');
});

test('property: every pattern from PCRE2 tokens is refused with a message or compiles to a RegExp', () => {
  const token = fc.constantFrom(
    'a',
    'B',
    '.',
    '\\d',
    '\\s',
    '\\S',
    '[a-z]',
    '[^:]',
    '(',
    ')',
    '(?:',
    '(?=',
    '(?i)',
    '|',
    '*',
    '+?',
    '{2,}',
    '^',
    '$',
    '\\1',
    '[',
    ']',
    '\\',
  );
  fc.assert(
    fc.property(fc.array(token, { maxLength: 10 }), fc.boolean(), (tokens, caseless) => {
      const t = translatePcre2(tokens.join(''), { caseless });
      if (!t.ok) assert.ok(t.message.length > 0);
      else assert.doesNotThrow(() => new RegExp(t.source));
    }),
    { numRuns: 3000 },
  );
});

test('property: on ASCII text without line breaks, the translation matches as JavaScript does the same syntax', () => {
  // Tokens whose PCRE2 and JavaScript meanings agree on such text; caseless is compared with `i`.
  const token = fc.constantFrom(
    'a',
    'B',
    'z',
    '-',
    ':',
    '.',
    '\\d',
    '\\w',
    '[a-c]',
    '[^b]',
    '[X-Z]',
    '(?:',
    ')',
    '|',
    '*',
    '+?',
    '?',
    '{2,}',
    '^',
    '$',
  );
  const subject = fc.string({
    unit: fc.constantFrom('a', 'A', 'b', 'B', 'c', 'z', 'Z', 'x', '-', ':', '1', ' '),
    maxLength: 10,
  });
  fc.assert(
    fc.property(
      fc.array(token, { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      fc.array(subject, { maxLength: 5 }),
      (tokens, caseless, subjects) => {
        const source = tokens.join('');
        let reference: RegExp;
        try {
          reference = new RegExp(source, caseless ? 'i' : '');
        } catch {
          return;
        }
        const t = translatePcre2(source, { caseless });
        if (!t.ok) return;
        const translated = new RegExp(t.source);
        for (const s of subjects)
          assert.equal(
            translated.test(s),
            reference.test(s),
            `${source} (${caseless}) on ${JSON.stringify(s)}: ${t.source}`,
          );
      },
    ),
    { numRuns: 3000 },
  );
});

test('bytes and characters: OSSEC matches *_pcre2 on bytes (no PCRE2_UTF), this engine on the decoded line', () => {
  // ASCII: the same in both.
  assert.equal(matches('^.{3}$', 'abc'), true);
  // One "é" is two bytes in OSSEC and one character here: `.` takes all of it.
  assert.equal(matches('^.{3}$', 'a\u00E9b'), true, 'OSSEC would need ^.{4}$');
  // Characters outside the BMP are two UTF-16 code units here (four bytes in OSSEC).
  assert.equal(matches('^.$', '\u{1F600}'), false);
  assert.equal(matches('^..$', '\u{1F600}'), true);
  // \w stays ASCII, as in OSSEC without UCP.
  assert.equal(matches('^\\w+$', '\u00E9'), false);
  // A byte escape from 0x80 up names one byte of a UTF-8 sequence in OSSEC, never a character
  // here: refused whole, in and out of classes, rather than matched as the code point.
  for (const p of ['caf\\xe9', '\\xc3\\xa9', '[\\x80-\\xff]', '\\x{e9}'])
    assert.match(
      (compileMatcher(p, 'pcre2') as { message: string }).message,
      /byte escape \\x(e9|c3|80) \(without \(\*UTF\) PCRE2 matches one byte/,
      p,
    );
  // With (*UTF) PCRE2 counts characters too, and ASCII escapes mean the same everywhere.
  assert.equal(matches('(*UTF)caf\\xe9', 'caf\u00E9'), true);
  assert.equal(matches('a\\x2db', 'a-b'), true);
});
