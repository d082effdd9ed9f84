import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DetailedPeerCertificate } from 'node:tls';
import { createTestPki, type TestPki } from '../../../test/agent/fake-manager.js';
import { certificateFingerprint } from './fingerprint.js';
import { httpsJson } from './https-json.js';
import { checkPinnedChain, fetchPinnedCa, PinMismatchError, PinnedAgent } from './pinned-chain.js';

/** The chain as tls.getPeerCertificate(true) gives it: leaf, then issuers, the root pointing at itself. */
function peerChain(...pems: string[]): DetailedPeerCertificate {
  const certs = pems.map((pem) => ({ raw: new X509Certificate(pem).raw }) as DetailedPeerCertificate);
  certs.forEach((cert, i) => {
    cert.issuerCertificate = certs[i + 1] ?? cert;
  });
  return certs[0]!;
}

describe('CA fingerprint pinning', () => {
  let pki: TestPki;
  let other: TestPki;
  let server: ReturnType<typeof createServer>;
  let url: URL;
  const requests: string[] = [];

  before(async () => {
    pki = await createTestPki();
    other = await createTestPki('Another CA');
    server = createServer({ key: pki.serverKeyPem, cert: `${pki.serverCertPem}\n${pki.caPem}` }, (req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === '/problem') {
        res.writeHead(503, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'urn:bulwark:problem:busy', title: 'Busy', status: 503 }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/text' ? 'not json' : JSON.stringify({ hello: 'agent' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });

  after(() => server.close());

  it('accepts a chain that holds the pinned CA and answers that CA', () => {
    const checked = checkPinnedChain(peerChain(pki.serverCertPem, pki.caPem), pki.caFingerprint, 'localhost');
    assert.equal(checked.ok, true, JSON.stringify(checked));
    if (checked.ok) assert.equal(certificateFingerprint(checked.caPem), pki.caFingerprint.toUpperCase());
  });

  it('refuses another CA, a lone server certificate, a name the certificate does not cover, and expiry', () => {
    const chain = peerChain(pki.serverCertPem, pki.caPem);
    const wrong = checkPinnedChain(chain, other.caFingerprint, 'localhost');
    assert.ok(!wrong.ok && /does not contain the pinned CA, SHA-256 fingerprint/.test(wrong.message));
    const lone = checkPinnedChain(peerChain(pki.serverCertPem), pki.caFingerprint, 'localhost');
    assert.ok(!lone.ok && /presented only its server certificate.*use --ca with the CA file/.test(lone.message));
    const name = checkPinnedChain(chain, pki.caFingerprint, 'elsewhere.example');
    assert.ok(!name.ok && /does not cover elsewhere\.example/.test(name.message));
    const later = checkPinnedChain(chain, pki.caFingerprint, 'localhost', Date.now() + 10 * 86_400_000);
    assert.ok(!later.ok && /is not valid now/.test(later.message));
    // Another CA's certificate passed off under the pinned one's place in the chain.
    const forged = checkPinnedChain(peerChain(other.serverCertPem, pki.caPem), pki.caFingerprint, 'localhost');
    assert.ok(!forged.ok && /chain is broken/.test(forged.message));
  });

  it('fetches the pinned CA from a live manager, and names the host when the pin fails', async () => {
    const fetched = await fetchPinnedCa(url, pki.caFingerprint);
    assert.equal(fetched.ok, true, JSON.stringify(fetched));
    const refused = await fetchPinnedCa(url, other.caFingerprint);
    assert.ok(!refused.ok && refused.message.startsWith(`${url.host}: `));
  });

  it('a pinned request reaches the manager; a wrong pin sends nothing', async () => {
    const before = requests.length;
    const good = await httpsJson({
      url: new URL('/hello', url),
      method: 'GET',
      timeoutMs: 5000,
      agent: new PinnedAgent(pki.caFingerprint),
    });
    assert.deepEqual(good, { ok: true, status: 200, body: { hello: 'agent' } });
    const bad = await httpsJson({
      url: new URL('/secret', url),
      method: 'POST',
      body: { token: 'x' },
      timeoutMs: 5000,
      agent: new PinnedAgent(other.caFingerprint),
    });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.ok(bad.kind === 'network' && bad.error instanceof PinMismatchError, bad.message);
    assert.deepEqual(requests.slice(before), ['GET /hello']);
  });

  it('answers problems and unreadable answers as values, saying whether to retry', async () => {
    const agent = new PinnedAgent(pki.caFingerprint);
    const problem = await httpsJson({ url: new URL('/problem', url), method: 'GET', timeoutMs: 5000, agent });
    assert.ok(!problem.ok);
    assert.equal(problem.kind, 'http');
    assert.equal(problem.problemType, 'urn:bulwark:problem:busy');
    assert.equal(problem.retryable, true);
    assert.equal(problem.message, 'manager answered 503: Busy');
    const text = await httpsJson({ url: new URL('/text', url), method: 'GET', timeoutMs: 5000, agent });
    assert.ok(!text.ok && text.unread === 'not-json');
    const large = await httpsJson({
      url: new URL('/hello', url),
      method: 'GET',
      timeoutMs: 5000,
      agent,
      maxResponseBytes: 4,
    });
    assert.ok(!large.ok && large.unread === 'too-large' && !large.retryable);
    agent.destroy();
  });
});
