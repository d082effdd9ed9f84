/**
 * The traffic runtime against the real kernel: client and server namespaces over veth, a node
 * HTTP server on port 8080, the engine worker bound to queue 100 in the server namespace with a
 * test inspector that blocks URIs holding a marker. curl is the client.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  createLab,
  curl,
  download,
  type Lab,
  type LineProcess,
  sha256,
  startEngineWorker,
  startHttpServer,
  trafficSkipReason,
  upload,
  workerStats,
} from './traffic-lab.js';

const skip = trafficSkipReason();
if (skip) console.log(`# skipping traffic engine system tests: ${skip}`);

const QUEUE = 100;
const PORT = 8080;
const NAME = 'trfsys';
const BIG = 32 * 1024 * 1024;

describe('traffic engine runtime (NFQUEUE, namespaces)', { skip }, () => {
  let lab: Lab;
  let server: LineProcess;
  let worker: LineProcess | undefined;

  before(async () => {
    lab = createLab('trf');
    server = await startHttpServer(lab, PORT);
  });

  after(async () => {
    await worker?.stop();
    await server?.stop();
    lab?.destroy();
  });

  const start = async (env: Record<string, string> = {}) => {
    await worker?.stop();
    worker = await startEngineWorker(lab, { BW_QUEUE: String(QUEUE), BW_NAME: NAME, BW_PORTS: String(PORT), ...env });
    return worker;
  };
  const url = (path: string) => `http://${lab.serverAddress}:${PORT}${path}`;

  test('inline: a request with the marker is reset; the finding says enforced', async () => {
    const w = await start();
    const r = curl(lab, [url('/search?q=EVIL-MARKER')], 10_000);
    assert.notEqual(r.code, 0, `curl should fail, got ${r.stdout}`);
    assert.match(r.stderr, /reset/i);
    const finding = await w.waitFor((l) => 'finding' in l);
    const event = finding.finding as { enforced: boolean; blocked: boolean; flow: { serverPort: number } };
    assert.equal(event.blocked, true);
    assert.equal(event.enforced, true);
    assert.equal(event.flow.serverPort, PORT);
    // The next connection is a new flow and passes.
    assert.equal(curl(lab, [url('/fine')]).stdout, 'ok');
    const stats = await workerStats(w);
    assert.ok((stats.blockMarks as number) >= 1);
  });

  test('inline with respond: the client gets the block page instead of a bare reset', async () => {
    const w = await start({ BW_RESPOND: '1' });
    const r = curl(lab, ['-i', url('/search?q=EVIL-MARKER')], 10_000);
    assert.match(r.stdout, /^HTTP\/1\.1 403 Forbidden/);
    assert.match(r.stdout, /blocked by bulwark test/);
    const stats = (await workerStats(w)) as { responsesSent: number };
    assert.equal(stats.responsesSent, 1);
    // The flow stays cut; a new connection passes.
    assert.equal(curl(lab, [url('/fine')]).stdout, 'ok');
  });

  test('inline: benign downloads and uploads arrive byte for byte', async () => {
    await start();
    const d = download(lab, PORT, BIG);
    assert.equal(d.curl.code, 0, d.curl.stderr);
    assert.ok(d.sent);
    assert.equal(d.received, d.sent);
    const bytes = randomBytes(16 * 1024 * 1024);
    const u = upload(lab, PORT, bytes);
    assert.equal(u.curl.code, 0, u.curl.stderr);
    assert.equal(u.length, bytes.length);
    assert.equal(u.sha256, sha256(bytes));
    const stats = (await workerStats(worker as LineProcess)) as { engine: { httpRequests: number; packets: number } };
    assert.ok(stats.engine.httpRequests >= 2, 'the engine parsed the requests');
    assert.ok(stats.engine.packets > 100, 'the transfers went through the engine');
  });

  test('tap: the attack passes and the finding is detect-only', async () => {
    const w = await start({ BW_MODE: 'tap' });
    const r = curl(lab, [url('/search?q=EVIL-MARKER')], 10_000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok');
    const finding = await w.waitFor((l) => 'finding' in l);
    const event = finding.finding as { enforced: boolean; blocked: boolean };
    assert.equal(event.blocked, true);
    assert.equal(event.enforced, false);
  });

  test('switching a running engine from inline to tap takes effect at once', async () => {
    const w = await start();
    w.send({ mode: 'tap' });
    await w.waitFor((l) => l.mode === 'tap');
    assert.equal(curl(lab, [url('/?EVIL-MARKER')], 10_000).stdout, 'ok');
  });

  test('hand-back: once no inspector wants more, a large download leaves the queue', async () => {
    const w = await start({ BW_HAND_BACK: '1' });
    const d = download(lab, PORT, BIG);
    assert.equal(d.curl.code, 0, d.curl.stderr);
    assert.equal(d.received, d.sent);
    const stats = (await workerStats(w)) as {
      handBackMarks: number;
      packets: number;
      engine: { flowsHandedBack: number };
    };
    assert.ok(stats.handBackMarks >= 1);
    assert.equal(stats.engine.flowsHandedBack, 1);
    // 32 MiB is at least 512 packets even as 64 KiB GSO super-packets; the queue saw only the start.
    assert.ok(stats.packets < 60, `packets through JS: ${stats.packets}`);
  });

  test('flows spread over two queues (--queue-balance): each flow stays whole on one engine', async () => {
    const w = await start({ BW_QUEUE_COUNT: '2' });
    for (let i = 0; i < 4; i++) {
      const d = download(lab, PORT, 2 * 1024 * 1024);
      assert.equal(d.received, d.sent, d.curl.stderr);
    }
    const r = curl(lab, [url('/?q=EVIL-MARKER')], 10_000);
    assert.match(r.stderr, /reset/i);
    const stats = (await workerStats(w)) as {
      queues: number[];
      channels: { received: number }[];
      engine: { httpRequests: number };
    };
    assert.deepEqual(stats.queues, [QUEUE, QUEUE + 1]);
    assert.equal(stats.engine.httpRequests, 5, 'every request parsed: both directions of each flow on the same queue');
  });

  test("two modules share one runtime through the hub: each one's block works and findings go to their owner", async () => {
    const w = await start({ BW_HUB: '1' });
    assert.match(curl(lab, [url('/?EVIL-MARKER')], 10_000).stderr, /reset/i);
    assert.match(curl(lab, [url('/?OTHER-MARKER')], 10_000).stderr, /reset/i);
    const a = await w.waitFor((l) => l.owner === 'module-a');
    const b = await w.waitFor((l) => l.owner === 'module-b');
    assert.equal((a.finding as { inspectorId: string }).inspectorId, 'marker');
    assert.equal((b.finding as { inspectorId: string }).inspectorId, 'other');
    w.send({ detach: 'module-b' });
    await w.waitFor((l) => l.detached === 'module-b');
    assert.equal(curl(lab, [url('/?OTHER-MARKER')]).stdout, 'ok', 'module-b detached: its marker passes');
  });

  test('a stopped (SIGSTOP) engine never holds traffic past the deadline', async () => {
    const w = await start({ BW_DEADLINE_MS: '100' });
    const pid = (w.lines.find((l) => (l as { ready?: boolean }).ready) as { pid: number }).pid;
    process.kill(pid, 'SIGSTOP');
    try {
      const r = curl(lab, [url('/fine')], 15_000);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'ok');
      // A handful of packets each held at most ~100 ms by the deadline.
      assert.ok(r.ms < 3000, `took ${r.ms} ms`);
      const d = download(lab, PORT, 4 * 1024 * 1024);
      assert.equal(d.received, d.sent);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  test('a block whose verdict came after the deadline is reported failed open; the flow is still cut later', async () => {
    // A second server that logs requests, so the test sees that the late-blocked request got through.
    const port = PORT + 1;
    const logged = await startHttpServer(lab, port, { logRequests: true });
    try {
      // The first marker inspection holds the engine 1 s against a 200 ms deadline: its verdict is late.
      const w = await start({ BW_PORTS: String(port), BW_DEADLINE_MS: '200', BW_SLOW_MS: '1000' });
      // The server answers 2 s after the request, when the engine answers in time again.
      const r = curl(lab, ['--max-time', '6', `http://${lab.serverAddress}:${port}/delay/2000/EVIL-MARKER`], 15_000);
      assert.notEqual(r.stdout, 'ok', 'the response of the late-blocked flow was cut');
      await logged.waitFor((l) => String(l.request).includes('EVIL-MARKER'));
      const finding = (await w.waitFor((l) => 'finding' in l)).finding as Record<string, unknown>;
      assert.equal(finding.blocked, true);
      assert.equal(finding.failedOpen, true, 'the kernel had let the request through');
      const stats = (await workerStats(w)) as { blocksFailedOpen: number; blockMarks: number; verdictsLate: number };
      assert.ok(stats.blocksFailedOpen >= 1, JSON.stringify(stats));
      assert.ok(stats.verdictsLate >= stats.blocksFailedOpen, JSON.stringify(stats));
      assert.ok(
        stats.blockMarks > stats.blocksFailedOpen,
        `a later packet was blocked in time: ${JSON.stringify(stats)}`,
      );
      // A block answered in time says failedOpen: false.
      const inTime = await start({ BW_PORTS: String(port) });
      curl(lab, [`http://${lab.serverAddress}:${port}/search?q=EVIL-MARKER`], 10_000);
      const again = (await inTime.waitFor((l) => 'finding' in l)).finding as Record<string, unknown>;
      assert.equal(again.failedOpen, false);
    } finally {
      await logged.stop();
    }
  });

  test('stop() removes its kernel rules', async () => {
    const w = await start();
    await w.stop();
    await w.waitFor((l) => 'stopped' in l).catch(() => undefined);
    worker = undefined;
    const ipt = lab.exec(lab.server, 'iptables', ['-S']);
    assert.doesNotMatch(ipt.stdout, /BWTRF/);
    const nft = lab.exec(lab.server, 'nft', ['list', 'tables']);
    assert.doesNotMatch(nft.stdout, /bulwark_trf_/);
    // And traffic flows without the engine.
    assert.equal(curl(lab, [url('/fine')]).stdout, 'ok');
  });
});
