import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { identityPaths, readIdentity, writeIdentity, writeRenewedCredentials } from './identity-store.js';

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function activatedDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-identity-'));
  roots.push(dir);
  writeIdentity(dir, {
    computerId: 'c1',
    managerUrl: 'https://m:4120',
    activatedAt: '2026-01-01T00:00:00.000Z',
    heartbeatIntervalSeconds: 60,
    keyPem: 'old key',
    certificatePem: 'old cert',
    caPem: 'ca',
  });
  return dir;
}

const pair = (dir: string) => {
  const read = readIdentity(dir);
  assert.equal(read.kind, 'activated');
  return read.kind === 'activated' ? [read.identity.keyPem, read.identity.certificatePem] : [];
};

test('a renewal swaps key and certificate together, the key private', () => {
  const dir = activatedDir();
  writeRenewedCredentials(dir, 'new key', 'new cert');
  assert.deepEqual(pair(dir), ['new key', 'new cert']);
  assert.ok(!existsSync(identityPaths(dir).nextKey) && !existsSync(identityPaths(dir).nextCertificate));
});

test('a crash before the commit keeps the old pair; a crash after it completes the new one', () => {
  const before = activatedDir();
  const paths = identityPaths(before);
  writeFileSync(paths.nextCertificate, 'new cert');
  writeFileSync(paths.nextKey, 'new key');
  assert.deepEqual(pair(before), ['old key', 'old cert']);
  assert.ok(!existsSync(paths.nextKey) && !existsSync(paths.nextCertificate));

  const afterCommit = activatedDir();
  const later = identityPaths(afterCommit);
  writeFileSync(later.nextCertificate, 'new cert');
  writeFileSync(later.key, 'new key');
  assert.deepEqual(pair(afterCommit), ['new key', 'new cert']);
  assert.equal(readFileSync(later.certificate, 'utf8'), 'new cert');
});
