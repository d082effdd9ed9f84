import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compilePathGlob, hasGlobSyntax, translateGlob } from './glob.js';

function matches(pattern: string, path: string): boolean {
  const compiled = compilePathGlob(pattern);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.message);
  return compiled.glob.matches(path);
}

/**
 * A second, independent reading of the language, for the comparison below: a backtracking
 * matcher over a pattern of literals, '*', '**', '?', '[..]' and '{..}' (no nesting needed).
 */
type Token =
  | { k: 'lit'; c: string }
  | { k: 'star' }
  | { k: 'globstar' }
  | { k: 'globstar-slash' }
  | { k: 'one' }
  | { k: 'set'; chars: string; negate: boolean }
  | { k: 'alt'; options: Token[][] };

function reference(tokens: readonly Token[], path: string): boolean {
  const at = (ti: number, pi: number): boolean => {
    if (ti === tokens.length) return pi === path.length;
    const t = tokens[ti]!;
    switch (t.k) {
      case 'lit':
        return path[pi] === t.c && at(ti + 1, pi + 1);
      case 'one':
        return pi < path.length && path[pi] !== '/' && at(ti + 1, pi + 1);
      case 'set': {
        const c = path[pi];
        if (c === undefined || c === '/') return false;
        return t.chars.includes(c) !== t.negate && at(ti + 1, pi + 1);
      }
      case 'star':
        for (let end = pi; ; end++) {
          if (at(ti + 1, end)) return true;
          if (end >= path.length || path[end] === '/') return false;
        }
      case 'globstar':
        for (let end = pi; end <= path.length; end++) if (at(ti + 1, end)) return true;
        return false;
      case 'globstar-slash':
        // zero directories, or any run ending in '/'
        if (at(ti + 1, pi)) return true;
        for (let end = pi; end < path.length; end++) if (path[end] === '/' && at(ti + 1, end + 1)) return true;
        return false;
      case 'alt':
        return t.options.some((option) => reference([...option, ...tokens.slice(ti + 1)], path.slice(pi)));
    }
  };
  return at(0, 0);
}

function render(tokens: readonly Token[], globstar = '**/'): string {
  return tokens
    .map((t): string => {
      switch (t.k) {
        case 'lit':
          return t.c;
        case 'star':
          return '*';
        case 'globstar':
          return '**';
        case 'globstar-slash':
          return globstar;
        case 'one':
          return '?';
        case 'set':
          return `[${t.negate ? '!' : ''}${t.chars}]`;
        default:
          return `{${t.options.map((o) => render(o, globstar)).join(',')}}`;
      }
    })
    .join('');
}

const lit = fc.constantFrom('a', 'b', '.', '/').map((c): Token => ({ k: 'lit', c }));
const simple: fc.Arbitrary<Token> = fc.oneof(
  { weight: 4, arbitrary: lit },
  fc.constant<Token>({ k: 'star' }),
  fc.constant<Token>({ k: 'one' }),
  fc.record({ chars: fc.constantFrom('a', 'ab', 'b.'), negate: fc.boolean() }).map((s): Token => ({ k: 'set', ...s })),
);
const tokensArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: simple },
      fc
        .array(fc.array(simple, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
        .map((options): Token => ({ k: 'alt', options })),
      // '**' is written only where the language reads it as such (a component of its own, or not).
      fc
        .constant<Token[]>([{ k: 'lit', c: '/' }, { k: 'globstar-slash' }])
        .map((t): Token => ({ k: 'alt', options: [t] })),
    ),
    { maxLength: 6 },
  )
  // Stars side by side would read as '**'; only the generated '/**/' is meant as one.
  .filter((tokens) => !/\*[{}]*[*§]|§[{}]*\*/.test(render(tokens, '§')));

test('the glob agrees with an independent backtracking reading of the language', () => {
  fc.assert(
    fc.property(tokensArb, fc.stringMatching(/^[ab./]{0,8}$/), (tokens, path) => {
      const pattern = render(tokens);
      if (pattern.length === 0) return;
      assert.equal(matches(pattern, path), reference(tokens, path), `${pattern} on ${path}`);
    }),
    { numRuns: 2000 },
  );
});

test('a pattern without syntax matches exactly itself', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z0-9./_-]{1,20}$/), fc.stringMatching(/^[a-z0-9./_-]{0,20}$/), (p, other) => {
      assert.equal(hasGlobSyntax(p), false);
      assert.equal(matches(p, p), true);
      assert.equal(matches(p, other), p === other);
    }),
  );
});

test('* and ? never cross a /, ** does', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z]{0,5}$/), fc.stringMatching(/^[a-z]{0,5}$/), (a, b) => {
      assert.equal(matches('*', `${a}/${b}`), false);
      assert.equal(matches('**', `${a}/${b}`), true);
      assert.equal(matches('x/**/y', `x/${a}${a ? '/' : ''}y`), true);
    }),
  );
  assert.equal(matches('?', '/'), false);
  assert.equal(matches('[!a]', '/'), false);
});

test('braces, classes and escapes', () => {
  assert.equal(matches('/var/log/{nginx,apache{2,}}/*.log', '/var/log/apache2/access.log'), true);
  assert.equal(matches('/var/log/{nginx,apache{2,}}/*.log', '/var/log/apache/error.log'), true);
  assert.equal(matches('/var/log/{nginx,apache{2,}}/*.log', '/var/log/httpd/error.log'), false);
  assert.equal(matches('[a-c]x', 'bx'), true);
  assert.equal(matches('[^a-c]x', 'bx'), false);
  assert.equal(matches('a\\*', 'a*'), true);
  assert.equal(matches('a\\*', 'ab'), false);
  assert.equal(matches('a}b,c', 'a}b,c'), true, ', and } outside braces are themselves');
});

test('a malformed pattern is refused with where and why; nothing throws', () => {
  for (const [pattern, why] of [
    ['', /empty/],
    ['[ab', /unterminated '\[' at position 0/],
    ['x{a,b', /unterminated '\{' at position 1/],
    ['[a/b]', /'\/' cannot appear inside/],
    ['[z-a]', /range z-a is reversed/],
    ['a\0b', /NUL/],
    ['*'.repeat(5000), /at most 4096/],
  ] as const) {
    const t = translateGlob(pattern);
    assert.ok(!t.ok && why.test(t.message), `${pattern.slice(0, 20)}: ${t.ok ? 'accepted' : t.message}`);
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (pattern) => {
      const t = translateGlob(pattern);
      if (t.ok) new RegExp(`^${t.regex}$`, 's');
    }),
  );
});
