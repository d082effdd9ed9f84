// Web reputation with real traffic: a client namespace (where the agent module runs, as on a
// protected server making outbound connections) fetches from an HTTP server and an openssl
// s_server in a server namespace, by names curl resolves to it. Blocked hosts are reset (HTTP and
// HTTPS), allowed ones pass, subdomain wildcards and URL prefixes behave as documented, detect
// mode reports without blocking, and reputation data decides by risk and category. Blocked HTTP
// requests get the block page (403 with the reason and the event's block id) and never reach the server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WebrepConfiguration } from '../../modules/webrep/engine/index.js';
import {
  createLab,
  curl,
  type Lab,
  type LineProcess,
  spawnInNamespace,
  startHttpServer,
  trafficSkipReason,
} from '../traffic/traffic-lab.js';
import { makeCertificate, startTlsServers, stopTlsServers } from './tls-servers.js';

const skip = trafficSkipReason(['curl', 'openssl']);
if (skip) console.log(`# skipping web reputation traffic tests: ${skip}`);

const QUEUE = 141;
// openssl s_server serves one connection at a time, and a connection whose ClientHello was cut
// stays open on its side: each HTTPS fetch gets a server of its own, all with the same names.
const TLS_PORTS = Array.from({ length: 16 }, (_, i) => 4431 + i);
const NAME = 'wrpsys';

const base: WebrepConfiguration = {
  detectOnly: false,
  securityLevel: 'medium',
  blockUnrated: false,
  blockedCategories: [],
  allow: ['files.test/dl/public/'],
  block: ['*.bad.test', 'files.test/dl/', '10.231.0.1/32'],
  reputation: null,
  httpPorts: [80],
  tlsPorts: TLS_PORTS,
  blockPage: true,
};

describe('web reputation (NFQUEUE on output, namespaces, curl and openssl s_server)', { skip }, () => {
  let lab: Lab;
  let http: LineProcess;
  let tls: LineProcess;
  let nextTls = 0;
  let worker: LineProcess | undefined;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-webrep-test-'));
    lab = createLab('wrp');
    http = await startHttpServer(lab, 80, { logRequests: true });
    makeCertificate(dir, 'good.test', ['good.test', 'www.bad.test', 'bad.test', 'other.test']);
    tls = await startTlsServers(lab, dir, TLS_PORTS);
    // s_server needs a moment to bind after the shell printed: wait until a handshake works.
    const deadline = Date.now() + 10_000;
    while (https('good.test', TLS_PORTS[0]).code !== 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    nextTls = 1;
  });

  after(async () => {
    await worker?.stop();
    if (lab) await stopTlsServers(lab, tls);
    await http?.stop();
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const resolve = (name: string, port: number) => ['--resolve', `${name}:${port}:${lab.serverAddress}`];
  const get = (name: string, path = '/') =>
    curl(lab, [...resolve(name, 80), '-o', '/dev/null', '-w', '%{http_code}', `http://${name}${path}`], 10_000);
  /** The status and body curl read (the block page, for a blocked request). */
  const page = (name: string, path = '/') =>
    curl(lab, [...resolve(name, 80), '-w', '\n%{http_code}', `http://${name}${path}`], 10_000);
  /**
   * Whether the server received `path` on `host`, asked after the request was answered: a marker
   * request is made from the server's own namespace (past no rule of the module) and its log line
   * awaited; the server logs requests in the order it receives them.
   */
  async function served(path: string, host: string): Promise<boolean> {
    const marker = `/marker-${markers++}`;
    const fetched = lab.exec(
      lab.server,
      'curl',
      ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${lab.serverAddress}${marker}`],
      15_000,
    );
    assert.equal(fetched.stdout, '200', fetched.stderr);
    const line = (l: unknown) => l as { request?: unknown; host?: unknown } | null;
    await http.waitFor((l) => line(l)?.request === marker, 10_000);
    return http.lines.some((l) => line(l)?.request === path && line(l)?.host === host);
  }
  let markers = 0;
  function https(name: string, port = TLS_PORTS[nextTls++]!) {
    return curl(
      lab,
      ['-k', ...resolve(name, port), '-o', '/dev/null', '-w', '%{http_code}', `https://${name}:${port}/`],
      10_000,
    );
  }

  async function start(configuration: WebrepConfiguration, env: Record<string, string> = {}) {
    await worker?.stop();
    worker = spawnInNamespace(lab.client, [process.execPath, '--import', 'tsx', 'test/webrep/webrep-worker.ts'], {
      BW_QUEUE: String(QUEUE),
      BW_NAME: NAME,
      ...env,
    });
    await worker.waitFor((l) => 'ready' in l, 30_000);
    worker.send({ apply: configuration });
    const applied = await worker.waitFor((l) => 'applied' in l, 30_000);
    const status = applied.status as { state: string; reason?: string };
    assert.equal(status.state, 'on', `module status: ${JSON.stringify(status)}`);
    return worker;
  }

  const events = (w: LineProcess) =>
    w.lines.filter(
      (l): l is { event: { action: string; ruleId: string; details: Record<string, unknown> } } =>
        typeof l === 'object' && l !== null && 'event' in l,
    );
  async function eventFor(w: LineProcess, what: (d: Record<string, unknown>) => boolean) {
    const line = await w.waitFor(
      (l) => 'event' in l && what((l.event as { details: Record<string, unknown> }).details),
      10_000,
    );
    return line.event as { action: string; ruleId: string; summary: string; details: Record<string, unknown> };
  }

  test('inline: allowed hosts pass; HTTP to blocked wildcards and URL prefixes gets the block page, HTTPS a reset', async () => {
    const w = await start({ ...base, block: ['*.bad.test', 'files.test/dl/'] });
    assert.equal(get('good.test').stdout, '200');
    assert.equal(https('good.test').stdout, '200');
    // "*.bad.test": subdomains only.
    assert.equal(get('bad.test').stdout, '200');
    const blocked = page('www.bad.test', '/payload');
    assert.equal(blocked.code, 0, blocked.stderr);
    const [body, status] = [
      blocked.stdout.slice(0, blocked.stdout.lastIndexOf('\n')),
      blocked.stdout.slice(blocked.stdout.lastIndexOf('\n') + 1),
    ];
    assert.equal(status, '403');
    const event = await eventFor(w, (d) => d.host === 'www.bad.test' && d.seen === 'http');
    assert.equal(event.action, 'Block Page');
    assert.equal(event.ruleId, 'block-list');
    assert.equal(event.details.entry, '*.bad.test');
    assert.equal(event.details.url, 'www.bad.test/payload');
    // The page names the event (its block id) and the reason.
    assert.match(String(event.details.blockId), /^wr-/);
    assert.ok(body.includes(`Event: ${String(event.details.blockId)}`), body);
    assert.ok(body.includes('*.bad.test'), body);
    // The request never reached the server (it logs every request it receives; bad.test/ did).
    assert.ok(await served('/', 'bad.test'), 'the server logs requests');
    assert.equal(await served('/payload', 'www.bad.test'), false, JSON.stringify(http.lines));
    const tlsBlocked = https('www.bad.test');
    assert.notEqual(tlsBlocked.code, 0, `expected a reset, got ${tlsBlocked.stdout}`);
    const tlsEvent = await eventFor(w, (d) => d.host === 'www.bad.test' && d.seen === 'tls');
    assert.ok(TLS_PORTS.includes(Number(tlsEvent.details.port)));
    // URL prefix "files.test/dl/": under it reset, beside it allowed, the allow list's prefix wins.
    assert.equal(get('files.test', '/dl/tool.exe').stdout, '403');
    assert.equal(get('files.test', '/dlx').stdout, '200');
    assert.equal(get('files.test', '/dl/public/readme').stdout, '200');
    await eventFor(w, (d) => d.url === 'files.test/dl/tool.exe');
  });

  test('addresses: a blocked network resets connections to any name there', async () => {
    const w = await start({ ...base, allow: [], block: ['10.231.0.0/30'] });
    const first = get('good.test');
    assert.equal(first.stdout, '403', `${first.stderr} ${JSON.stringify(w.lines)}`);
    const secure = https('good.test');
    assert.notEqual(secure.code, 0, `${secure.stdout} ${JSON.stringify(w.lines)}`);
    const event = await eventFor(w, (d) => d.address === '10.231.0.1');
    assert.equal(event.details.entry, '10.231.0.0/30');
  });

  test('no SNI: TLS 1.2 is decided on the names of the server certificate, TLS 1.3 by the address only', async () => {
    const w = await start({ ...base, block: ['*.bad.test'] });
    // curl sends no SNI to an IP address; the certificate names good.test, www.bad.test, bad.test...
    const byAddress = (extra: string[]) =>
      curl(
        lab,
        [
          '-k',
          ...extra,
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          `https://${lab.serverAddress}:${TLS_PORTS[nextTls++]}/`,
        ],
        10_000,
      );
    const tls12 = byAddress(['--tls-max', '1.2']);
    assert.notEqual(tls12.code, 0, `expected a reset, got ${tls12.stdout}`);
    // Reset at once (not left to time out: curl's code 28).
    assert.notEqual(tls12.code, 28, tls12.stderr);
    assert.match(tls12.stderr, /reset|SSL_ERROR_SYSCALL|unexpected eof/i);
    const event = await eventFor(w, (d) => d.seen === 'certificate');
    assert.deepEqual([event.action, event.details.host, event.details.entry], ['Reset', 'www.bad.test', '*.bad.test']);
    // openssl s_client without a server name, TLS 1.2: reset as well.
    const port = TLS_PORTS[nextTls++];
    const sclient = lab.exec(
      lab.client,
      'sh',
      ['-c', `echo | timeout 10 openssl s_client -noservername -tls1_2 -connect ${lab.serverAddress}:${port} 2>&1`],
      15_000,
    );
    assert.match(sclient.stdout, /no peer certificate available/, sclient.stdout);
    assert.match(sclient.stdout, /errno=104|reset/i, sclient.stdout);
    // TLS 1.3 encrypts the certificate: the address alone decides, and it is not blocked.
    assert.equal(byAddress(['--tlsv1.3']).stdout, '200');
  });

  test('without the block page HTTP is reset like HTTPS', async () => {
    const w = await start({ ...base, blockPage: false });
    const blocked = get('www.bad.test', '/nopage');
    assert.notEqual(blocked.code, 0, `expected a reset, got ${blocked.stdout}`);
    assert.match(blocked.stderr, /reset|Recv failure|Empty reply/i);
    const event = await eventFor(w, (d) => d.url === 'www.bad.test/nopage');
    assert.equal(event.action, 'Reset');
    assert.equal(await served('/nopage', 'www.bad.test'), false);
  });

  test('detect only: nothing is blocked, the events say Detect Only', async () => {
    const w = await start({ ...base, detectOnly: true });
    assert.equal(get('www.bad.test').stdout, '200');
    assert.equal(https('www.bad.test').stdout, '200');
    const event = await eventFor(w, (d) => d.host === 'www.bad.test');
    assert.equal(event.action, 'Detect Only: Reset');
    assert.ok(events(w).every((e) => e.event.action === 'Detect Only: Reset'));
  });

  test('reputation data: risk at the security level blocks, blocked categories block, the rest passes', async () => {
    const feed = join(dir, 'feed.csv');
    writeFileSync(feed, 'target,risk,category\nrisky.test,90,malware\nother.test,10,games\ngood.test,5,news\n');
    const w = await start(
      { ...base, block: [], allow: [], reputation: { version: 4, sha256: 'x' }, blockedCategories: ['games'] },
      { BW_FEED: feed, BW_FEED_VERSION: '4' },
    );
    assert.equal(get('good.test').stdout, '200');
    assert.equal(get('risky.test').stdout, '403');
    assert.notEqual(https('other.test').code, 0);
    const risky = await eventFor(w, (d) => d.host === 'risky.test');
    assert.deepEqual(
      [risky.ruleId, risky.details.risk, risky.details.category, risky.details.feedVersion],
      ['reputation', 90, 'malware', 4],
    );
    const games = await eventFor(w, (d) => d.host === 'other.test');
    assert.match(String(games.details.reason), /category "games" is blocked/);
    // Pages that have not been rated.
    await start(
      { ...base, block: [], allow: [], reputation: { version: 4, sha256: 'x' }, blockUnrated: true },
      { BW_FEED: feed, BW_FEED_VERSION: '4' },
    );
    assert.equal(get('good.test').stdout, '200');
    assert.equal(get('unrated.test').stdout, '403');
  });
});
