// The console serves what the deployment script downloads: the manager's CA and the agent
// package from $BULWARK_AGENT_PACKAGES_DIR, and nothing else from that folder or beyond it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, startTestManager, type TestManager } from './manager-harness.js';

describe('GET /agent-package/…', () => {
  const folder = mkdtempSync(join(tmpdir(), 'bulwark-agent-packages-'));
  const packageBytes = Buffer.from('!<arch>\nnot really a package, but bytes to compare\n');
  let t: TestManager;
  let ca: string;

  before(async () => {
    writeFileSync(join(folder, 'bulwark-agent_1.2.3_amd64.deb'), packageBytes);
    writeFileSync(join(folder, 'secret.txt'), 'not to be served');
    process.env.BULWARK_AGENT_PACKAGES_DIR = folder;
    t = await startTestManager();
    ca = readFileSync(join(t.dataDir, 'pki', 'ca.crt'), 'utf8');
  });
  after(async () => {
    delete process.env.BULWARK_AGENT_PACKAGES_DIR;
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves an agent package without credentials, byte for byte', async () => {
    const answer = await call(`${t.manager.consoleUrl}/agent-package/bulwark-agent_1.2.3_amd64.deb`, { ca });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/vnd.debian.binary-package');
    assert.equal(answer.text, packageBytes.toString());
  });

  it('answers 404 saying where to put the package when it is not there', async () => {
    const answer = await call(`${t.manager.consoleUrl}/agent-package/bulwark-agent_9.9.9_amd64.deb`, { ca });
    assert.equal(answer.status, 404);
    assert.match(answer.headers['content-type'] as string, /application\/problem\+json/);
    assert.match(
      answer.json.detail,
      new RegExp(`no agent package bulwark-agent_9\\.9\\.9_amd64\\.deb on this manager: put it in ${folder}`),
    );
  });

  it('serves nothing but agent package names: no other file, no way out of the folder', async () => {
    for (const name of [
      'secret.txt',
      '..%2F..%2Fetc%2Fpasswd',
      'bulwark-agent_1.2.3_amd64.deb%2F..%2Fsecret.txt',
      '.bulwark-agent_1_amd64.deb',
    ]) {
      const answer = await call(`${t.manager.consoleUrl}/agent-package/${name}`, { ca });
      assert.equal(answer.status, 404, name);
      assert.doesNotMatch(answer.text, /not to be served|root:/);
    }
  });

  it("serves the manager's CA certificate, the one its data directory holds", async () => {
    const answer = await call(`${t.manager.consoleUrl}/agent-package/manager-ca.crt`, { ca });
    assert.equal(answer.status, 200);
    assert.equal(answer.text.trim(), ca.trim());
  });
});
