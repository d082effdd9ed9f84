import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreatePki, type ManagerPki } from '../pki/certificate-authority.js';

// The CLI run as a child process against an HTTPS server that speaks the API contract
// (docs/api.md) with the manager's own PKI; cli-manager.test.ts runs it against the real manager.

const BIN = resolve(import.meta.dirname, '../../bin/bulwark.js');
const KEY = 'test-api-key-0123456789';
const POLICY_ID = '11111111-1111-4111-8111-111111111111';
const COMPUTER_IDS = ['22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

function problem(res: import('node:http').ServerResponse, status: number, title: string, detail: string) {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: `urn:bulwark:problem:${title.toLowerCase()}`, title, status, detail }));
}

function startFakeManager(pki: ManagerPki, withChain: boolean, seen: Seen[]) {
  const server = https.createServer(
    { key: pki.serverKeyPem, cert: withChain ? `${pki.serverCertPem.trim()}\n${pki.caCertPem}` : pki.serverCertPem },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'https://x');
        seen.push({ method: req.method ?? '', url: url.pathname + url.search, body: text ? JSON.parse(text) : null });
        if (req.headers.authorization !== `Bearer ${KEY}`) return problem(res, 401, 'Unauthenticated', 'bad API key');
        const json = (body: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (req.method === 'GET' && url.pathname === '/api/policies') {
          return json({ items: [{ id: POLICY_ID, name: 'Linux Server', parentId: null }], nextCursor: null });
        }
        if (req.method === 'GET' && url.pathname === '/api/computers') {
          // Two pages, to prove the CLI follows the cursor.
          const first = url.searchParams.get('cursor') === null;
          const id = first ? COMPUTER_IDS[0] : COMPUTER_IDS[1];
          return json({
            items: [{ id, hostname: `web-${first ? 1 : 2}`, name: null, status: 'managed', policyId: POLICY_ID }],
            nextCursor: first ? 'page-2' : null,
          });
        }
        if (req.method === 'GET' && url.pathname.startsWith('/api/computers/')) {
          return problem(res, 404, 'Not Found', `no computer ${url.pathname.split('/')[3]}`);
        }
        if (req.method === 'PUT' && url.pathname.startsWith(`/api/policies/${POLICY_ID}/settings/`)) {
          return json({ changedComputerIds: COMPUTER_IDS });
        }
        if (
          req.method === 'GET' &&
          url.pathname === '/api/events/export' &&
          url.searchParams.get('module') === 'broken'
        ) {
          // The connection dies half-way: the CLI must not leave a file that looks complete.
          res.writeHead(200, { 'content-type': 'text/csv' });
          res.write('time,computerId,module,severity,summary\n');
          setTimeout(() => res.socket?.destroy(), 50);
          return;
        }
        if (req.method === 'GET' && url.pathname === '/api/events/export') {
          res.writeHead(200, { 'content-type': 'text/csv' });
          res.write('time,computerId,module,severity,summary\n');
          for (let i = 0; i < 1000; i++)
            res.write(`2026-11-23T10:00:00Z,${COMPUTER_IDS[0]},firewall,high,event ${i}\n`);
          return res.end();
        }
        return problem(res, 404, 'Not Found', `no route ${req.method} ${url.pathname}`);
      });
    },
  );
  return new Promise<{ server: https.Server; url: string }>((done) => {
    server.listen(0, '127.0.0.1', () =>
      done({ server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    );
  });
}

function bulwark(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('bulwark against a fake manager over real TLS', () => {
  let dir: string;
  let pki: ManagerPki;
  let chained: { server: https.Server; url: string };
  let leafOnly: { server: https.Server; url: string };
  const seen: Seen[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-cli-'));
    pki = await loadOrCreatePki(join(dir, 'pki'));
    chained = await startFakeManager(pki, true, seen);
    leafOnly = await startFakeManager(pki, false, seen);
  });
  after(async () => {
    chained.server.close();
    leafOnly.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists computers across pages with --ca, as JSON', async () => {
    const result = await bulwark(
      ['--manager', chained.url, '--ca', join(dir, 'pki', 'ca.crt'), '--json', 'computers', 'list'],
      {
        BULWARK_API_KEY: KEY,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const items = JSON.parse(result.stdout) as { id: string }[];
    assert.deepEqual(
      items.map((c) => c.id),
      COMPUTER_IDS,
    );
  });

  it('prints an aligned table without --json, with policy names', async () => {
    const result = await bulwark(['computers', 'list'], {
      BULWARK_MANAGER: chained.url,
      BULWARK_API_KEY: KEY,
      BULWARK_CA: join(dir, 'pki', 'ca.crt'),
    });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+NAME\s+STATUS\s+POLICY\s+LAST HEARTBEAT\s+AGENT$/);
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /web-1\s+Managed \(Online\)\s+Linux Server/);
    assert.equal(lines[1]!.indexOf('Managed'), lines[0]!.indexOf('STATUS'));
  });

  it('pins the CA by fingerprint when the manager presents its chain', async () => {
    const result = await bulwark([
      '--manager',
      chained.url,
      '--ca-fingerprint',
      pki.caFingerprint,
      '--api-key',
      KEY,
      '--json',
      'policies',
      'list',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { name: string }[])[0]!.name, 'Linux Server');
  });

  it('refuses a wrong fingerprint before sending the API key', async () => {
    const before = seen.length;
    const wrong = `${'AB:'.repeat(31)}AB`;
    const result = await bulwark([
      '--manager',
      chained.url,
      '--ca-fingerprint',
      wrong,
      '--api-key',
      KEY,
      'policies',
      'list',
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /does not contain the pinned CA/);
    assert.equal(seen.length, before, 'no request may reach an unverified server');
  });

  it('says why a CA pin cannot be checked when the manager sends no chain', async () => {
    const result = await bulwark([
      '--manager',
      leafOnly.url,
      '--ca-fingerprint',
      pki.caFingerprint,
      '--api-key',
      KEY,
      'policies',
      'list',
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /presented only its server certificate.*use --ca with the CA file/);
  });

  it('explains how to trust the CA when none is given', async () => {
    const result = await bulwark(['--manager', leafOnly.url, '--api-key', KEY, 'policies', 'list']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: the manager's certificate is not signed by the system CAs/);
    assert.match(result.stderr, /--ca <dataDir>\/pki\/ca\.crt/);
  });

  it('maps problems to exit codes: 401 → 3, 404 → 4, bad usage → 2', async () => {
    const common = ['--manager', chained.url, '--ca', join(dir, 'pki', 'ca.crt')];
    const unauth = await bulwark([...common, '--api-key', 'wrong-key-123', 'policies', 'list']);
    assert.equal(unauth.code, 3);
    assert.equal(unauth.stderr.trim(), 'error: Unauthenticated: bad API key');
    const missing = await bulwark([...common, '--api-key', KEY, '--json', 'computers', 'show', COMPUTER_IDS[0]!]);
    assert.equal(missing.code, 4);
    assert.equal(JSON.parse(missing.stdout).error.exitCode, 4);
    const usage = await bulwark([...common, '--api-key', KEY, 'settings', 'set', 'platform.x', '1']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /exactly one of --policy ID\|NAME and --computer ID\|NAME/);
  });

  it('sets a setting with the value parsed as JSON, addressing the policy by name', async () => {
    const result = await bulwark([
      ...['--manager', chained.url, '--ca', join(dir, 'pki', 'ca.crt'), '--api-key', KEY, '--json'],
      ...['settings', 'set', '--policy', 'Linux Server', 'platform.heartbeatIntervalSeconds', '120'],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const put = seen.findLast((s) => s.method === 'PUT');
    assert.equal(put?.url, `/api/policies/${POLICY_ID}/settings/platform.heartbeatIntervalSeconds`);
    assert.deepEqual(put?.body, { value: 120 });
  });

  it('leaves no file behind when an export breaks off', async () => {
    const output = join(dir, 'broken.csv');
    const result = await bulwark([
      ...['--manager', chained.url, '--ca', join(dir, 'pki', 'ca.crt'), '--api-key', KEY],
      ...['events', 'export', '--module', 'broken', '--output', output],
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: the export broke off/);
    await assert.rejects(stat(output), { code: 'ENOENT' });
    await assert.rejects(stat(`${output}.partial`), { code: 'ENOENT' });
  });

  it('exports events to a file, whole', async () => {
    const output = join(dir, 'events.csv');
    const result = await bulwark([
      ...['--manager', chained.url, '--ca', join(dir, 'pki', 'ca.crt'), '--api-key', KEY, '--json'],
      ...['events', 'export', '--format', 'csv', '--since', '1h', '--output', output],
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { bytes: number; output: string };
    const csv = await readFile(output, 'utf8');
    assert.equal(summary.bytes, Buffer.byteLength(csv));
    assert.equal(csv.trimEnd().split('\n').length, 1001);
    const request = seen.findLast((s) => s.url.startsWith('/api/events/export'));
    assert.match(request?.url ?? '', /format=csv/);
    assert.match(request?.url ?? '', /from=\d{4}-/);
  });
});
