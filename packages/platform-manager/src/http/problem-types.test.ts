import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Problem, parseWith } from '@bulwark/protocol';
import { type ProblemName, ProblemTypes, problem, problemTypeUrn } from './problem-types.js';

const repoRoot = new URL('../../../../', import.meta.url).pathname;
const packageSrc = new URL('../', import.meta.url).pathname;

/** The problem names docs/api.md promises: the backticked names in its `urn:bulwark:problem:<name>` bullet. */
function documentedProblemNames(): string[] {
  const doc = readFileSync(join(repoRoot, 'docs', 'api.md'), 'utf8');
  const start = doc.indexOf('urn:bulwark:problem:<name>');
  assert.ok(start >= 0, 'docs/api.md names the problem type URN');
  // The list runs from there to the end of that bullet (it may wrap over several lines).
  const end = doc.indexOf('\n- ', start);
  const bullet = doc.slice(start, end < 0 ? undefined : end);
  return [...bullet.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]!);
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

test('the problem registry and docs/api.md list the same problem types', () => {
  assert.deepEqual(Object.keys(ProblemTypes).sort(), documentedProblemNames().sort());
});

test('no source file invents a problem type URN outside the registry', () => {
  const known = new Set((Object.keys(ProblemTypes) as ProblemName[]).map((name) => problemTypeUrn(name)));
  for (const file of sourceFiles(packageSrc)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/urn:bulwark:problem:([a-z-]+)/g)) {
      assert.ok(known.has(match[0]), `${file} uses ${match[0]}, which is not in problem-types.ts`);
    }
  }
});

test('every registered problem is a valid RFC 9457 body with a 4xx/5xx status', () => {
  for (const name of Object.keys(ProblemTypes) as (keyof typeof ProblemTypes)[]) {
    const body = problem(name, 'detail', [{ path: '/x', message: 'bad' }]);
    assert.ok(parseWith(Problem, body).ok);
    assert.equal(body.type, `urn:bulwark:problem:${name}`);
    assert.ok(body.status >= 400 && body.status < 600);
  }
});
