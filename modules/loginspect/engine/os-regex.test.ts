import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { translateOsMatch, translateOsRegex, translatePcre2 } from './os-regex.js';
import { compileMatcher } from './pattern.js';

function osRegex(pattern: string) {
  const m = compileMatcher(pattern, 'osregex');
  assert.ok(m.ok, m.ok ? '' : m.message);
  return m.matcher;
}

test('OS_Regex classes: \\w includes @ and -, \\p is punctuation, \\. is any character', () => {
  assert.deepEqual([...(osRegex('^(\\w+)$').exec('a-b@c_d') ?? [])].slice(1), ['a-b@c_d']);
  assert.equal(osRegex('^\\w+$').test('a b'), false);
  assert.equal(osRegex('^\\p+$').test('()*+,-.:;<=>?[]!"\'#$%&|{}'), true);
  assert.equal(osRegex('^\\d\\D\\s\\S$').test('1a b'), true);
  assert.equal(osRegex('^a\\.c$').test('a\nc'), true);
  assert.equal(osRegex('^a.c$').test('abc'), false, 'an unescaped dot is literal');
});

test('OS_Regex is case-insensitive, anchors only at the ends, and escapes its specials', () => {
  assert.equal(osRegex('^FAILED').test('failed password'), true);
  assert.equal(osRegex('a^b$c').test('xa^b$cx'), true);
  assert.equal(osRegex('\\(\\$\\|\\<\\)').test('($|<)'), true);
  assert.equal(osRegex('trailing\\').test('trailing\\'), true);
});

test('OS_Regex repetition stops at the next element, except at the end of the pattern', () => {
  assert.deepEqual(osRegex('action:"(\\.*)";').exec('action:"Drop"; flags:"4";')?.[1], 'Drop');
  assert.deepEqual(osRegex('port (\\d+)').exec('port 2222 ssh')?.[1], '2222');
});

test('OS_Regex alternatives are tried in pattern order, each with its own captures', () => {
  const m = osRegex('user (\\S+)|from (\\S+)');
  const r = m.exec('from 10.0.0.1 user bob');
  assert.equal(r?.[1], 'bob');
  assert.equal(osRegex('x|^from (\\S+)').exec('from 1.2.3.4')?.[1], '1.2.3.4');
});

test('OS_Regex refuses nested or unbalanced parentheses with a message', () => {
  const nested = translateOsRegex('((a))');
  assert.equal(nested.ok, false);
  const open = translateOsRegex('(a');
  assert.equal(open.ok, false);
  if (!open.ok) assert.match(open.message, /unbalanced/);
});

test('OS_Match is literal and case-insensitive, with ^, $ and |', () => {
  const m = compileMatcher('^Accepted|denied$|a.b', 'osmatch');
  assert.ok(m.ok);
  assert.equal(m.matcher.test('accepted publickey'), true);
  assert.equal(m.matcher.test('access DENIED'), true);
  assert.equal(m.matcher.test('a.b'), true);
  assert.equal(m.matcher.test('axb'), false);
  assert.equal(m.matcher.test('was accepted'), false);
});

test('PCRE2 constructs with an exact JavaScript form are translated; invalid ones are refused', () => {
  const inline = compileMatcher('(?i)get-itemproperty', 'pcre2');
  assert.ok(inline.ok && inline.matcher.test('Get-ItemProperty -Path'));
  const named = compileMatcher('\\A(?P<user>\\w+)@(?P<host>\\w+)\\z', 'pcre2');
  assert.ok(named.ok && named.matcher.exec('bob@alice')?.groups?.host === 'alice');
  const unicode = compileMatcher('(*UTF)\\N{U+202E}', 'pcre2');
  assert.ok(unicode.ok && unicode.matcher.test('a\u202Eb'));
  const ungreedy = translatePcre2('(?U)a(.*)b');
  assert.ok(ungreedy.ok && ungreedy.alternatives[0] === 'a([^\\n]*?)b');
  const bad = compileMatcher('(unclosed', 'pcre2');
  assert.equal(bad.ok, false);
});

const osChars = fc.constantFrom(
  'a',
  'B',
  '1',
  ' ',
  '-',
  '@',
  '.',
  ':',
  '(',
  ')',
  '\\',
  '+',
  '*',
  '|',
  '^',
  '$',
  'w',
  'd',
  's',
  'S',
  'p',
  '[',
  '?',
  '{',
);

test('property: every OS_Regex either translates to a valid RegExp or is refused with a message', () => {
  fc.assert(
    fc.property(fc.string({ unit: osChars, maxLength: 24 }), (p) => {
      const t = translateOsRegex(p);
      if (t.ok) {
        for (const alt of t.alternatives) new RegExp(alt, t.flags);
      } else {
        assert.ok(t.message.length > 0);
      }
    }),
    { numRuns: 3000 },
  );
});

test('property: a pattern without special characters matches exactly the texts containing it', () => {
  const plain = fc.string({
    unit: fc.constantFrom('a', 'b', 'Z', '0', ' ', '.', ',', '[', ']', '?', '{', '}', '/', '='),
    minLength: 1,
    maxLength: 10,
  });
  fc.assert(
    fc.property(plain, fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), (lit, before, after) => {
      const re = osRegex(lit);
      assert.equal(re.test(before + lit + after), true);
      const om = translateOsMatch(lit);
      assert.ok(om.ok);
      assert.equal(new RegExp(om.alternatives[0] as string, om.flags).test(before + lit.toUpperCase() + after), true);
    }),
    { numRuns: 1000 },
  );
});

test('property: the literal a PCRE2 prefilter requires occurs in every text the pattern matches', () => {
  const token = fc.constantFrom(
    'a',
    'b',
    'ab',
    '-',
    '\\.',
    '.',
    'a*',
    'b?',
    'a+',
    '(ab)?',
    '(?:a|b)',
    '[ab]',
    'b{0,2}',
    'a{2}',
    '\\d',
  );
  fc.assert(
    fc.property(
      fc.array(token, { minLength: 1, maxLength: 6 }),
      fc.string({ unit: fc.constantFrom('a', 'b', '-', '.', '1'), maxLength: 12 }),
      (tokens, text) => {
        const t = translatePcre2(tokens.join(''));
        if (!t.ok || !t.requiredExact) return;
        if (new RegExp(t.alternatives[0] as string, t.flags).test(text))
          assert.ok(text.includes(t.requiredExact), `${tokens.join('')} matched ${text}`);
      },
    ),
    { numRuns: 3000 },
  );
});

test('property: every text an OS_Regex alternative matches contains all the literals its prefilter requires', () => {
  const token = fc.constantFrom(
    'a',
    'b',
    'ab',
    '%',
    ':',
    '\\d',
    '\\w+',
    '\\s*',
    'a+',
    'b*',
    '(a)',
    '(\\d+)',
    '\\p',
    '^',
    '|',
  );
  fc.assert(
    fc.property(
      fc.array(token, { minLength: 1, maxLength: 7 }),
      fc.string({ unit: fc.constantFrom('a', 'B', '%', ':', ' ', '1'), maxLength: 12 }),
      (tokens, text) => {
        const t = translateOsRegex(tokens.join(''));
        if (!t.ok || !t.required) return;
        const l = text.toLowerCase();
        t.alternatives.forEach((alt, i) => {
          if (new RegExp(alt, t.flags).test(text))
            for (const r of t.required?.[i] ?? []) assert.ok(l.includes(r), `${tokens.join('')} matched ${text}`);
        });
      },
    ),
    { numRuns: 3000 },
  );
});
