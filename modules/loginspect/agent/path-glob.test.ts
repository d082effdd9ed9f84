import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { expandGlob, hasWildcard } from './path-glob.js';

describe('log file globs (the platform glob language over the file system)', () => {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-loginspect-glob-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  for (const file of [
    'nginx/access.log',
    'nginx/error.log',
    'apache2/access.log',
    'httpd/access.log',
    'app/2026/01/app.log',
    'app/2026/02/app.log',
    'app/.hidden/app.log',
    'app/top.log',
  ]) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), 'x\n');
  }
  symlinkSync(join(root, 'nginx'), join(root, 'app', 'linked'));
  const rel = (paths: readonly string[]) => paths.map((p) => p.slice(root.length + 1));

  it('expands braces and classes within a component', () => {
    assert.deepEqual(rel(expandGlob(`${root}/{nginx,apache2}/access.log`, false).paths), [
      'apache2/access.log',
      'nginx/access.log',
    ]);
    assert.deepEqual(rel(expandGlob(`${root}/[a-h]*/access.log`, false).paths), [
      'apache2/access.log',
      'httpd/access.log',
    ]);
  });

  it('** stands for any number of directories, not hidden ones, not through a link', () => {
    const found = expandGlob(`${root}/app/**/*.log`, false);
    assert.deepEqual(rel(found.paths), ['app/2026/01/app.log', 'app/2026/02/app.log', 'app/top.log']);
    assert.deepEqual(rel(expandGlob(`${root}/app/**`, false).paths), [
      'app/2026/01/app.log',
      'app/2026/02/app.log',
      'app/linked',
      'app/top.log',
    ]);
    const followed = expandGlob(`${root}/app/**/access.log`, true);
    assert.deepEqual(rel(followed.paths), ['app/linked/access.log']);
  });

  it('a malformed glob is reported, not expanded', () => {
    const bad = expandGlob(`${root}/[ab/x.log`, false);
    assert.deepEqual(bad.paths, []);
    assert.match(bad.problems[0]?.reason ?? '', /not a valid glob: unterminated '\['/);
    assert.equal(hasWildcard('/var/log/syslog'), false);
    assert.equal(hasWildcard('/var/log/{a,b}.log'), true);
  });

  it('the entry budget bounds ** too', () => {
    const cut = expandGlob(`${root}/**/*.log`, false, { maxMatches: 256, maxEntries: 3 });
    assert.ok(cut.problems.some((p) => /expansion cut short/.test(p.reason)));
  });
});
