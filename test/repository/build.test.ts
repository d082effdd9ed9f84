// The binaries run compiled bundles (scripts/build.mjs), never TypeScript through a run-time
// transpiler: tsx's cache under $TMPDIR is not owner-checked, so running it as root on a host is
// a local privilege escalation. npm test builds the bundles before it runs this file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without declarations
import { BUNDLES, WORKERS } from '../../scripts/build-entries.mjs';

const repo = new URL('../..', import.meta.url).pathname;
const BINS = [
  'packages/platform-agent/bin/bulwark-agent.js',
  'packages/platform-manager/bin/bulwark-manager.js',
  'packages/platform-manager/bin/bulwark.js',
];

// Loaded with --import: fails the process as soon as anything resolves to TypeScript or tsx.
const HOOK = `export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/\\.[cm]?ts$|\\/node_modules\\/(tsx|esbuild)\\//.test(r.url)) throw new Error('not compiled: ' + r.url);
  return r;
}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`,
)}`;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|mjs)$/.test(name) && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('compiled binaries', () => {
  const temp = mkdtempSync(join(tmpdir(), 'bulwark-build-'));
  after(() => rmSync(temp, { recursive: true, force: true }));

  for (const bin of BINS) {
    it(`${bin} --help loads no TypeScript and no tsx`, () => {
      const run = spawnSync(process.execPath, ['--import', REGISTER, join(repo, bin), '--help'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.doesNotMatch(run.stderr, /not compiled/);
      assert.match(run.stdout + run.stderr, /Usage|usage/);
    });
  }

  it("bulwark-agent --help and --version load no module code, no daemon, no SQLite, and --help lists the modules' commands", () => {
    // What the agent's bundle loads before it runs a command: itself and the chunks it imports
    // statically, transitively (each module, the daemon and activation are dynamic imports).
    const dist = join(repo, 'packages/platform-agent/dist');
    const loaded = new Set<string>();
    const queue = ['bulwark-agent.js'];
    while (queue.length > 0) {
      const file = queue.shift() as string;
      if (loaded.has(file)) continue;
      loaded.add(file);
      for (const m of readFileSync(join(dist, file), 'utf8').matchAll(/^(?:import|\}) [^\n]*?["']\.\/([^"']+)["'];$/gm))
        queue.push(m[1] as string);
    }
    assert.ok(loaded.size > 1, 'the bundle imports its shared chunks statically');
    const text = [...loaded].map((file) => readFileSync(join(dist, file), 'utf8')).join('\n');
    // esbuild marks each source file's code with a `// path` comment.
    assert.deepEqual(text.match(/^\/\/ (modules\/.*|.*\/daemon\/.*|.*@peculiar.*|.*@sinclair.*)$/gm), null);
    assert.doesNotMatch(text, /from "better-sqlite3"/);
    // The check sees them: the chunks behind the dynamic imports carry the modules' code.
    const all = readdirSync(dist).map((file) => readFileSync(join(dist, file), 'utf8'));
    assert.ok(all.some((chunk) => /^\/\/ modules\/ips\/agent\//m.test(chunk)));
    for (const flag of ['--help', '--version']) {
      const run = spawnSync(process.execPath, [join(repo, BINS[0] as string), flag], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(run.status, 0, run.stderr);
      if (flag === '--help') assert.match(run.stdout, /bulwark-agent scan PATH…[^\n]*\n.*\(module antimalware\)/);
    }
  });

  it('a binary without its bundle says to run npm run build, and runs nothing else', () => {
    mkdirSync(join(temp, 'bin'));
    copyFileSync(join(repo, BINS[0] as string), join(temp, 'bin', 'bulwark-agent.js'));
    const run = spawnSync(process.execPath, [join(temp, 'bin', 'bulwark-agent.js'), '--version'], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /dist\/bulwark-agent\.js is missing: run `npm run build`/);
  });

  it('the bundles import no tsx and no esbuild', () => {
    for (const b of BUNDLES as { out: string }[]) {
      const text = readFileSync(join(repo, b.out), 'utf8');
      assert.doesNotMatch(text, /from ["'](tsx|esbuild)[/"']|require\(["'](tsx|esbuild)/, b.out);
    }
  });

  it('every worker thread the code starts is compiled by the build (scripts/build-entries.mjs)', () => {
    const spawning = [...sources(join(repo, 'packages')), ...sources(join(repo, 'modules'))]
      .filter((file) => /new Worker\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(repo, file))
      .sort();
    const listed = (WORKERS as { spawnedBy: string }[]).map((w) => w.spawnedBy).sort();
    assert.deepEqual(spawning, listed);
  });
});
