#!/usr/bin/env node
// Runs every *.test.ts under packages/, modules/ and test/ with node's test runner (through tsx).
// `--unit` runs only tests beside the code (not test/ system tests); other arguments are paths
// or substrings that select test files, e.g. `npm test -- modules/inventory`.
// The binaries run compiled bundles (packages/*/dist), so the bundles are rebuilt first: a test
// that starts a binary then runs the code under test, not a stale build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundle } from './build.mjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const roots = unitOnly ? ['packages', 'modules'] : ['packages', 'modules', 'test'];
let files = roots.flatMap((r) => walk(join(root, r), [])).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

try {
  await bundle();
} catch (error) {
  console.error(`test: the bundles could not be built: ${error.message}`);
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, BULWARK_REPO_ROOT: root },
});
process.exit(result.status ?? 1);
