/**
 * The house rule "`#private` fields, not TypeScript's `private`": a `private`/`protected` member is
 * private to the type checker only (any cast, `obj['x']` or plain JavaScript reaches it), while a
 * `#field` is private at run time. This test finds the TypeScript modifiers in packages/ and modules/.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Files allowed to hold a modifier, each with its reason; empty now that every class uses `#` fields
 * (the test fails on an entry that no longer needs to be here, so the list only shrinks).
 */
const ALLOWED = new Set<string>([]);

function typescriptFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'build' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) typescriptFiles(path, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Comments and string literals go first, so that "the CA's private key" in prose is not a modifier. */
function codeOnly(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, ' ');
}

/** The member names declared `private` or `protected` (parameter properties and constructors included). */
export function accessModifiersIn(text: string): string[] {
  const found: string[] = [];
  const modifier =
    /(?:^|[\s(,;{])(private|protected)\s+(?:(?:readonly|static|async|override|abstract|get|set)\s+)*([A-Za-z_$][\w$]*)/g;
  for (const match of codeOnly(text).matchAll(modifier)) found.push(`${match[1]} ${match[2]}`);
  return found;
}

describe('#private fields', () => {
  it('finds the TypeScript modifiers and nothing else (the check can fail)', () => {
    assert.deepEqual(accessModifiersIn('class A {\n  private readonly x = 1;\n  protected async run() {}\n}'), [
      'private x',
      'protected run',
    ]);
    assert.deepEqual(accessModifiersIn('class A {\n  constructor(private readonly ctx: C) {}\n}'), ['private ctx']);
    assert.deepEqual(accessModifiersIn('class A {\n  private constructor() {}\n}'), ['private constructor']);
    assert.deepEqual(accessModifiersIn('class A {\n  readonly #x = 1;\n}'), []);
    assert.deepEqual(
      accessModifiersIn("// keeps the private key\nconst m = 'private key'; const o = { private: 1 };"),
      [],
    );
  });

  it('no member in packages/ or modules/ is declared private or protected', () => {
    const offenders: string[] = [];
    const stillNeeded = new Set<string>();
    for (const top of ['packages', 'modules']) {
      for (const path of typescriptFiles(join(root, top))) {
        const file = relative(root, path);
        const found = accessModifiersIn(readFileSync(path, 'utf8'));
        if (found.length === 0) continue;
        if (ALLOWED.has(file)) stillNeeded.add(file);
        else offenders.push(`${file}: ${found.join(', ')}`);
      }
    }
    assert.deepEqual(
      offenders,
      [],
      'use an ECMAScript #private field (or, for a constructor, a token only the file holds)',
    );
    assert.deepEqual(
      [...ALLOWED].filter((file) => !stillNeeded.has(file)),
      [],
      'these files no longer declare private/protected members: take them off ALLOWED',
    );
  });
});
