#!/usr/bin/env node
// `npm run build`: type-checks the TypeScript (tsc) and bundles every program that runs on a host
// — the three binaries and the worker threads they start — into plain JavaScript under
// packages/*/dist/, so that a host runs `node` on compiled code and never needs tsx or esbuild.
// `--bundle-only` skips the type-check (npm test and npm start use it: it takes about a second).
// The web console (packages/console, React + Vite) is type-checked with its own tsconfig and built
// into packages/console/dist, which the manager serves; `--console` builds it after a bundle-only
// run too (npm start does, a few seconds).
//
// Native addons (better-sqlite3, packages/kernel's .node) stay outside the bundles; so do the
// packages that read their own files at run time (the OpenAPI console's static assets).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLES, WORKERS } from './build-entries.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * First-party code finds its files relative to its own source file (`new URL('../package.json',
 * import.meta.url)`, `import.meta.dirname`). In a bundle, import.meta is the bundle's, so each
 * use is rewritten to the source file's place, relative to the bundle: the repository layout is
 * kept for those files (in the checkout and in the .deb alike).
 */
const BANNER = [
  "import { createRequire as __bulwarkCreateRequire } from 'node:module';",
  "import { fileURLToPath as __bulwarkPath } from 'node:url';",
  'const require = __bulwarkCreateRequire(import.meta.url);',
  'const __filename = __bulwarkPath(import.meta.url);',
  "const __dirname = __bulwarkPath(new URL('.', import.meta.url));",
  'const __bulwarkBundle = import.meta.url;',
].join('\n');

function rootFor(outFile) {
  const up = relative(dirname(join(repo, outFile)), repo) || '.';
  return `const __bulwarkRoot = new URL(${JSON.stringify(`${up}/`)}, import.meta.url);`;
}

const sourceUrlPlugin = {
  name: 'bulwark-source-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      let text = readFileSync(args.path, 'utf8');
      const rel = relative(repo, args.path);
      for (const worker of WORKERS) {
        if (worker.spawnedBy !== rel) continue;
        const spawn = `new URL(${JSON.stringify(worker.specifier)}, import.meta.url)`.replaceAll('"', "'");
        if (!text.includes(spawn))
          throw new Error(`${rel} no longer contains ${spawn}: update WORKERS in scripts/build-entries.mjs`);
        text = text.replaceAll(spawn, `new URL(${JSON.stringify(`./${worker.out}.js`)}, __bulwarkBundle)`);
      }
      if (text.includes('import.meta')) {
        text = text
          .replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, __bulwarkRoot).href`)
          .replaceAll('import.meta.filename', `__bulwarkPath(new URL(${JSON.stringify(rel)}, __bulwarkRoot))`)
          .replaceAll('import.meta.dirname', `__bulwarkPath(new URL(${JSON.stringify(dirname(rel))}, __bulwarkRoot))`);
        const left = /import\.meta\.?\w*/.exec(text);
        if (left) throw new Error(`${rel}: ${left[0]} cannot be bundled (only url, filename and dirname are mapped)`);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

export async function bundle() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('esbuild is not installed: run `npm install` (it is a development dependency)');
  }
  const started = performance.now();
  // Each folder gets every worker: whichever bundle spawns it finds it beside itself.
  const programs = new Map();
  for (const b of BUNDLES) {
    programs.set(b.out, { entry: b.entry, external: b.external, split: b.split === true });
    for (const w of WORKERS)
      programs.set(join(dirname(b.out), `${w.out}.js`), { entry: w.entry, external: b.external });
  }
  const jobs = [...programs].map(([out, p]) => {
    const outfile = join(repo, out);
    mkdirSync(dirname(outfile), { recursive: true });
    return esbuild.build({
      absWorkingDir: repo,
      ...(p.split
        ? {
            entryPoints: [{ in: join(repo, p.entry), out: basename(out, '.js') }],
            outdir: dirname(outfile),
            splitting: true,
            chunkNames: 'chunk-[hash]',
          }
        : { entryPoints: [join(repo, p.entry)], outfile }),
      write: false,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: p.external,
      banner: { js: `${BANNER}\n${rootFor(out)}` },
      plugins: [sourceUrlPlugin],
      logLevel: 'warning',
      legalComments: 'none',
    });
  });
  const results = await Promise.all(jobs);
  // Each file replaced by a rename: a binary starting meanwhile (a test running beside
  // `npm run package`) loads the old bundle or the new one, never half of one.
  const written = new Set();
  for (const result of results) {
    for (const file of result.outputFiles) {
      const temporary = `${file.path}.${process.pid}.tmp`;
      writeFileSync(temporary, file.contents);
      renameSync(temporary, file.path);
      written.add(file.path);
    }
  }
  // What an earlier build left that this one did not write (a renamed program, a chunk whose
  // content changed: chunks are named by their content's hash, so an unchanged one is kept) goes.
  for (const dir of new Set([...written].map((path) => dirname(path)))) {
    for (const name of readdirSync(dir))
      if (!written.has(join(dir, name)) && !name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
  }
  return { programs: jobs.length, ms: Math.round(performance.now() - started) };
}

export const CONSOLE_DIR = join(repo, 'packages/console');

/** Builds the web console with Vite into `outDir` (default packages/console/dist); tests build their own copy. */
export async function buildConsole(outDir = join(CONSOLE_DIR, 'dist')) {
  const started = performance.now();
  const vite = await import('vite');
  await vite.build({
    configFile: join(CONSOLE_DIR, 'vite.config.ts'),
    root: CONSOLE_DIR,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return { outDir, ms: Math.round(performance.now() - started) };
}

async function main() {
  const bundleOnly = process.argv.includes('--bundle-only');
  if (!bundleOnly) {
    for (const project of ['tsconfig.json', 'packages/console/tsconfig.json']) {
      const tsc = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', project], {
        cwd: repo,
        stdio: 'inherit',
      });
      if (tsc.status !== 0) process.exit(tsc.status ?? 1);
    }
  }
  if (!bundleOnly || process.argv.includes('--console')) {
    try {
      const { ms } = await buildConsole();
      console.log(`build: web console built into packages/console/dist in ${ms} ms`);
    } catch (error) {
      console.error(`build: the web console could not be built: ${error.message}`);
      process.exit(1);
    }
  }
  try {
    const { programs, ms } = await bundle();
    console.log(`build: ${programs} programs bundled into packages/*/dist in ${ms} ms`);
  } catch (error) {
    console.error(`build: ${error.message}`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
