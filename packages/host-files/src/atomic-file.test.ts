import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensurePrivateFile, writeFileAtomic } from './atomic-file.js';

describe('files kept on the host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-host-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces a file whole, with exactly the mode asked for whatever the umask, leaving no temporary file', () => {
    const path = join(dir, 'sub', 'secret.pem');
    const umask = process.umask(0);
    try {
      writeFileAtomic(path, 'first', 0o600);
      writeFileAtomic(path, new TextEncoder().encode('second'), 0o600);
    } finally {
      process.umask(umask);
    }
    assert.equal(readFileSync(path, 'utf8'), 'second');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700, 'a directory it makes is private');
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['secret.pem']);
  });

  it('leaves the old content when the new cannot be written', () => {
    const path = join(dir, 'kept.json');
    writeFileAtomic(path, '{"v":1}', 0o644);
    // A directory in the temporary file's way cannot happen by name; a target that is a directory fails the rename.
    const target = join(dir, 'a-directory');
    writeFileAtomic(join(target, 'inside'), 'x');
    assert.throws(() => writeFileAtomic(target, 'not a directory'));
    assert.equal(readFileSync(path, 'utf8'), '{"v":1}');
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });

  it('narrows a file an older version left readable to others', () => {
    const path = join(dir, 'store.db');
    writeFileSync(path, '', { mode: 0o644 });
    ensurePrivateFile(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});
