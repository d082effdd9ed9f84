import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { moduleStateFileWriter } from './state-file.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-state-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('moduleStateFileWriter', () => {
  const write = moduleStateFileWriter(dir);

  it('replaces the file with the new content, mode 0600, and leaves no temporary file', () => {
    writeFileSync(join(dir, 'state.json'), 'old');
    chmodSync(join(dir, 'state.json'), 0o644);
    write('state.json', '{"blocks":[]}\n');
    assert.equal(readFileSync(join(dir, 'state.json'), 'utf8'), '{"blocks":[]}\n');
    assert.equal(statSync(join(dir, 'state.json')).mode & 0o777, 0o600);
    write('state.json', 'é');
    assert.equal(readFileSync(join(dir, 'state.json'), 'utf8'), 'é');
    assert.deepEqual(readdirSync(dir), ['state.json']);
  });

  it('refuses names that are not a plain file name of the directory', () => {
    for (const name of ['', '/etc/passwd', '../state.json', 'sub/state.json', '.', '..', '.hidden', 'a\0b'])
      assert.throws(() => write(name, 'x'), /state file name .* refused: /, JSON.stringify(name));
    assert.deepEqual(readdirSync(dir).sort(), ['state.json']);
    assert.doesNotThrow(() => write('a..b.json', 'x'));
  });

  it('throws on I/O errors', () => {
    const missing = moduleStateFileWriter(join(dir, 'state.json', 'not-a-directory'));
    assert.throws(() => missing('state.json', 'x'), /ENOTDIR|EEXIST/);
  });
});
