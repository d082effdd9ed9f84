import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readClusterKeyFile } from './cluster-key-file.js';
import { parseManagerArguments } from './manager-arguments.js';

describe('the cluster key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-cluster-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string, mode: number) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  };

  it('reads a private key file, without its trailing newline', () => {
    const key = 'A'.repeat(44);
    assert.deepEqual(readClusterKeyFile(write('good', `${key}\n`, 0o600)), { ok: true, key });
  });

  it('refuses a file others can read, a short key, a directory and a missing file', () => {
    const open = readClusterKeyFile(write('open', 'A'.repeat(44), 0o644));
    assert.equal(open.ok, false);
    assert.match(open.ok ? '' : open.reason, /chmod 600/);
    const short = readClusterKeyFile(write('short', 'secret', 0o600));
    assert.match(short.ok ? '' : short.reason, /at least 32/);
    assert.equal(readClusterKeyFile(dir).ok, false);
    assert.match(readClusterKeyFile(join(dir, 'none')).ok ? '' : 'refused', /refused/);
  });

  it('is given by --cluster-key-file or BULWARK_CLUSTER_KEY_FILE', () => {
    const fromFlag = parseManagerArguments(['--cluster-key-file', '/etc/bulwark/cluster.key'], {});
    assert.equal(
      fromFlag.ok && fromFlag.value.command === 'serve' && fromFlag.value.clusterKeyFile,
      '/etc/bulwark/cluster.key',
    );
    const fromEnv = parseManagerArguments([], { BULWARK_CLUSTER_KEY_FILE: '/k' });
    assert.equal(fromEnv.ok && fromEnv.value.command === 'serve' && fromEnv.value.clusterKeyFile, '/k');
  });
});
