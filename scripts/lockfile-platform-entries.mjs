#!/usr/bin/env node
// npm 11 leaves optional platform packages that the registry it was run against does not serve
// (here: biome's macOS, Windows, Android and musl binaries) out of package-lock.json, and then
// `npm ci` refuses that very lock file as "out of sync" (npm/cli#9846). This writes those entries
// back, with their os/cpu constraints, so `npm ci` skips them on this platform as it should.
// Run after any `npm install` that rewrites the lock file: node scripts/lockfile-platform-entries.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

const PLATFORM = /^@biomejs\/cli-(linux|darwin|win32|android)-(x64|arm64)(-musl)?$/;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const match = PLATFORM.exec(name);
    if (!match) continue;
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    packages[key] = {
      version,
      cpu: [match[2]],
      dev: entry.dev === true ? true : undefined,
      // The key order is npm's own (libc before license): any other order makes the next
      // `npm install` rewrite the lock file.
      ...(match[3] ? { libc: ['musl'] } : {}),
      license: 'MIT OR Apache-2.0',
      optional: true,
      os: [match[1]],
    };
    added++;
    void path;
  }
}
if (added > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
  );
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(`lockfile: ${added} optional platform entr${added === 1 ? 'y' : 'ies'} added`);
