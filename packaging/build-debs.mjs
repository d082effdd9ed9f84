#!/usr/bin/env node
// `npm run package`: builds the bundles, then bulwark-agent_<version>_amd64.deb and
// bulwark-manager_<version>_amd64.deb into dist/ with dpkg-deb. Each package carries its own
// Node.js runtime (this machine's node binary, under /opt/bulwark/<name>/runtime), so a protected
// host needs no Node.js, npm, tsx or esbuild: only the shared libraries `ldd` shows, declared as
// Depends. The manager package also carries the agent package, which it serves to hosts
// (GET /agent-package/<file> on the console port) for the deployment script.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole, bundle } from '../scripts/build.mjs';
import { AGENT, MANAGER } from './contents.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version;
const outDir = join(repo, 'dist');

/** Shared libraries a shipped ELF file may need, and the Debian 12 package that provides each. */
const LIBRARY_PACKAGES = {
  'libc.so.6': 'libc6',
  'libm.so.6': 'libc6',
  'libdl.so.2': 'libc6',
  'libpthread.so.0': 'libc6',
  'ld-linux-x86-64.so.2': 'libc6',
  'linux-vdso.so.1': null,
  'libstdc++.so.6': 'libstdc++6',
  'libgcc_s.so.1': 'libgcc-s1',
};

class PackagingError extends Error {}

/** Stops the build with a message; thrown, so that the staging directories are removed on the way out. */
function fail(message) {
  throw new PackagingError(message);
}

/** The Depends line for the ELF files: every library must be known, libc6 at the newest GLIBC_ symbol version used. */
function dependsFor(elfFiles) {
  const packages = new Set();
  let glibc = '2.17';
  for (const file of elfFiles) {
    for (const line of execFileSync('ldd', [file], { encoding: 'utf8' }).split('\n')) {
      const name = line.trim().split(/\s+/)[0]?.replace(/^.*\//, '');
      if (!name || line.includes('statically linked')) continue;
      if (line.includes('not found')) fail(`${file} needs ${name}, which this machine lacks`);
      if (!(name in LIBRARY_PACKAGES))
        fail(`${file} needs ${name}: add the Debian package that provides it to LIBRARY_PACKAGES`);
      if (LIBRARY_PACKAGES[name]) packages.add(LIBRARY_PACKAGES[name]);
    }
    const symbols = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    for (const m of symbols.matchAll(/GLIBC_(\d+\.\d+(?:\.\d+)?)/g)) if (newer(m[1], glibc)) glibc = m[1];
  }
  return [...packages].sort().map((p) => (p === 'libc6' ? `libc6 (>= ${glibc})` : p));
}

function newer(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
}

/** Where node finds package `name` when `fromDir` requires it: the nearest node_modules up the tree. */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; dir.startsWith(repo); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) break;
  }
  return undefined;
}

/**
 * Copies packages from node_modules as the runtime needs them, with the packages they require in
 * turn, each at its own path (nested node_modules included), so node resolves them as here.
 */
function copyNodeModules(names, optDir, skip) {
  const done = new Set();
  const queue = names.map((name) => [name, repo]);
  while (queue.length > 0) {
    const [name, fromDir] = queue.shift();
    if (skip.includes(name)) continue;
    const from = resolvePackage(name, fromDir);
    if (!from)
      fail(`${name} (required from ${relative(repo, fromDir) || 'the root'}) is not in node_modules: run npm ci`);
    const rel = relative(repo, from);
    if (done.has(rel)) continue;
    done.add(rel);
    const to = join(optDir, rel);
    const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
    if (pkg.gypfile || existsSync(join(from, 'binding.gyp'))) {
      // A native addon: its JavaScript, its package.json and the built .node file, not its C sources.
      mkdirSync(to, { recursive: true });
      copyFileSync(join(from, 'package.json'), join(to, 'package.json'));
      if (existsSync(join(from, 'lib'))) cpSync(join(from, 'lib'), join(to, 'lib'), { recursive: true });
      // Only the addon itself: not its object files, nor a test extension built beside it.
      cpSync(join(from, 'build', 'Release'), join(to, 'build', 'Release'), {
        recursive: true,
        filter: (src) =>
          statSync(src).isDirectory() ? !/\/(obj|\.deps|obj\.target)$/.test(src) : /\/(?!test_)[^/]+\.node$/.test(src),
      });
    } else {
      // Its JavaScript and data: not its nested node_modules (copied on their own), type declarations or source maps.
      cpSync(from, to, {
        recursive: true,
        filter: (src) => !src.slice(from.length).includes('/node_modules') && !/\.([cm]?ts|map)$/.test(src),
      });
    }
    const optional = Object.keys(pkg.optionalDependencies ?? {}).filter((d) => resolvePackage(d, from));
    for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...optional]) queue.push([dep, from]);
  }
  return [...done].map((rel) => rel.replace(/^node_modules\//, ''));
}

function writeExecutable(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/**
 * Builds one package into dist/. `builtDirs` maps a path of `spec.files` to the directory built
 * for this run (the console), so that nothing another build may be rewriting is read.
 */
function buildDeb(spec, extraFiles = [], builtDirs = new Map()) {
  const root = mkdtempSync(join(tmpdir(), `${spec.name}-deb-`));
  try {
    const opt = join(root, 'opt', 'bulwark', spec.short);
    mkdirSync(opt, { recursive: true });
    // The runtime: this machine's node, nothing else from its installation.
    const node = join(opt, 'runtime', 'node');
    mkdirSync(dirname(node), { recursive: true });
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    for (const rel of spec.files) {
      const from = builtDirs.get(rel) ?? join(repo, rel);
      if (!existsSync(from)) fail(`${rel} is missing (for ${spec.name})`);
      mkdirSync(dirname(join(opt, rel)), { recursive: true });
      cpSync(from, join(opt, rel), { recursive: true });
    }
    const modules = copyNodeModules(spec.nodeModules, opt, spec.skipModules);
    for (const bin of spec.bins) {
      writeExecutable(
        join(root, 'usr', 'bin', bin.name),
        `#!/bin/sh\n# ${spec.name}: runs the bundled program on the package's own Node.js runtime.\nexec /opt/bulwark/${spec.short}/runtime/node /opt/bulwark/${spec.short}/${bin.script} "$@"\n`,
      );
    }
    const unitDir = join(root, 'lib', 'systemd', 'system');
    mkdirSync(unitDir, { recursive: true });
    copyFileSync(join(repo, spec.unit), join(unitDir, `${spec.name}.service`));
    for (const extra of extraFiles) {
      mkdirSync(dirname(join(root, extra.to)), { recursive: true });
      copyFileSync(extra.from, join(root, extra.to));
    }

    const elf = [
      node,
      ...execFileSync('find', [opt, '-name', '*.node', '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean),
    ];
    const depends = [...dependsFor(elf), ...spec.depends];
    const control = join(root, 'DEBIAN');
    mkdirSync(control, { recursive: true });
    const installedKb = execFileSync('du', ['-sk', '--exclude=DEBIAN', root], { encoding: 'utf8' }).split('\t')[0];
    writeFileSync(
      join(control, 'control'),
      [
        `Package: ${spec.name}`,
        `Version: ${version}`,
        'Architecture: amd64',
        'Maintainer: Bulwark <bulwark@localhost>',
        `Installed-Size: ${installedKb}`,
        `Depends: ${depends.join(', ')}`,
        ...(spec.recommends.length > 0 ? [`Recommends: ${spec.recommends.join(', ')}`] : []),
        'Section: admin',
        'Priority: optional',
        `Description: ${spec.summary}`,
        ...spec.description.map((line) => ` ${line}`),
        '',
      ].join('\n'),
    );
    for (const script of ['postinst', 'prerm', 'postrm']) {
      const from = join(repo, 'packaging', spec.short, script);
      if (existsSync(from)) writeExecutable(join(control, script), readFileSync(from, 'utf8'));
    }
    const out = join(outDir, `${spec.name}_${version}_amd64.deb`);
    mkdirSync(outDir, { recursive: true });
    // Written beside and renamed into place: whoever copies or serves the package meanwhile (a
    // test installing it while another builds it again) reads a whole package, old or new.
    const temporary = join(outDir, `.${basename(out)}.${process.pid}.tmp`);
    try {
      execFileSync('dpkg-deb', ['--root-owner-group', '-Zzstd', '--build', root, temporary], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      renameSync(temporary, out);
    } finally {
      rmSync(temporary, { force: true });
    }
    console.log(
      `package: ${out} (${(statSync(out).size / 1e6).toFixed(1)} MB; node_modules: ${modules.join(', ')}; Depends: ${depends.join(', ')})`,
    );
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

try {
  if (process.arch !== 'x64') fail(`packages are built for amd64; this node is ${process.arch}`);
  for (const tool of ['dpkg-deb', 'ldd', 'objdump']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      fail(`${tool} is missing (apt-get install dpkg-dev binutils)`);
    }
  }
  await bundle();
  // The web console the manager serves on its console port, built for this package alone: a
  // build into packages/console/dist empties it first, under any other build reading it.
  const consoleDir = mkdtempSync(join(tmpdir(), 'bulwark-console-'));
  // mkdtemp makes it 0700, and the copy keeps modes: the manager's own user must read it.
  chmodSync(consoleDir, 0o755);
  try {
    await buildConsole(consoleDir);
    const agentDeb = buildDeb(AGENT);
    buildDeb(
      MANAGER,
      [{ from: agentDeb, to: `usr/share/bulwark/agent-packages/${AGENT.name}_${version}_amd64.deb` }],
      new Map([['packages/console/dist', consoleDir]]),
    );
  } finally {
    rmSync(consoleDir, { recursive: true, force: true });
  }
} catch (error) {
  if (!(error instanceof PackagingError)) throw error;
  console.error(`package: ${error.message}`);
  process.exit(1);
}
