import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import semver from 'semver';

// `npm ci` in CI refuses a lock file that lacks an entry for an optional dependency, even one
// for another platform that the registry here does not serve (npm/cli#9846). A plain
// `npm install` drops those entries; scripts/lockfile-platform-entries.mjs puts them back.
describe('package-lock.json', () => {
  it('has an entry for every optional dependency, so npm ci accepts it', () => {
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${name}`])
          missing.push(`${name} (for ${path || 'root'})`);
      }
    }
    assert.deepEqual(missing, [], 'run: node scripts/lockfile-platform-entries.mjs');
  });

  // The README promises Node.js 20; a locked package that refuses it makes `npm install` warn
  // (EBADENGINE) and may use APIs Node 20 lacks. package.json's overrides pin such packages back.
  it('locks no package whose engines.node excludes Node.js 20', () => {
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (range === undefined) continue;
      const admits = semver.validRange(range) !== null && semver.intersects(range, '20.x');
      if (!admits) refusing.push(`${path || 'root'}@${entry.version ?? ''} (node ${range})`);
    }
    assert.deepEqual(refusing, []);
  });
});
