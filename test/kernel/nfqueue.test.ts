/**
 * NFQUEUE against the real kernel: a server and a client namespace joined by veth, TCP to port 8080
 * on the server steered to queue 7 with queue bypass, the queue bound by a worker process running
 * inside the server namespace (`ip netns exec … node --import tsx queue-worker.ts`).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { installQueueSteering, removeQueueSteering } from '@bulwark/kernel';
import { createLab, type Lab, type LineProcess, spawnInNamespace } from './netns-lab.js';
import { nfqueueSkipReason } from './nfqueue-skip.js';

const skip = nfqueueSkipReason();
if (skip) console.log(`# skipping NFQUEUE system tests: ${skip}`);

const QUEUE = 7;
const PORT = 8080;

describe('NFQUEUE packet queue', { skip }, () => {
  let lab: Lab;
  let listener: ChildProcess;

  before(async () => {
    lab = createLab('q');
    listener = spawn('ip', ['netns', 'exec', lab.server, 'nc', '-lk', lab.serverAddress, String(PORT)], {
      stdio: 'ignore',
    });
    const steering = await installQueueSteering({
      queue: QUEUE,
      netns: lab.server,
      protocol: 'tcp',
      destinationPorts: [PORT],
    });
    assert.ok(steering.ok, steering.ok ? '' : steering.reason);
    await waitUntil(() => connects(lab), 'listener up');
  });

  after(() => {
    listener?.kill('SIGKILL');
    lab?.destroy();
  });

  const startWorker = async (env: Record<string, string>): Promise<LineProcess> => {
    const worker = spawnInNamespace(lab.server, [process.execPath, '--import', 'tsx', 'test/kernel/queue-worker.ts'], {
      BW_QUEUE: String(QUEUE),
      ...env,
    });
    const first = await worker.waitFor((l) => 'ready' in l || 'unavailable' in l);
    assert.equal(first.unavailable, undefined, `queue did not open: ${String(first.unavailable)}`);
    return worker;
  };

  const statsOf = async (worker: LineProcess) => {
    const before = worker.lines.length;
    worker.send({ stats: true });
    const line = await worker.waitFor((l) => 'stats' in l && worker.lines.indexOf(l) >= before);
    return line.stats as Record<string, number>;
  };

  test('with no listener bound, queue bypass lets traffic flow', () => {
    assert.equal(connects(lab), true);
  });

  test('accept verdicts let a TCP connection through', async () => {
    const worker = await startWorker({ BW_MODE: 'accept' });
    try {
      assert.equal(connects(lab), true);
      const seen = await worker.waitFor((l) => typeof l.seen === 'number');
      const first = seen.first as { version: number; proto: number; hwProtocol: number };
      assert.equal(first.version, 4);
      assert.equal(first.proto, 6, 'TCP');
      assert.equal(first.hwProtocol, 0x0800);
      const stats = await statsOf(worker);
      assert.ok((stats.answered ?? 0) >= 1);
    } finally {
      await worker.stop();
    }
  });

  test('drop verdicts block it', async () => {
    const worker = await startWorker({ BW_MODE: 'drop' });
    try {
      assert.equal(connects(lab), false);
      await worker.waitFor((l) => typeof l.seen === 'number');
    } finally {
      await worker.stop();
    }
    assert.equal(connects(lab), true, 'traffic flows again once the queue is unbound');
  });

  test('an agent whose event loop is blocked fails open after the deadline; its late verdicts are ignored', async () => {
    const worker = await startWorker({ BW_MODE: 'accept', BW_DEFAULT: 'accept', BW_DEADLINE_MS: '150' });
    try {
      worker.send({ stallMs: 6000 });
      await worker.waitFor((l) => 'stalling' in l);
      assert.equal(connects(lab), true, 'default accept after the deadline');
      await worker.waitFor((l) => 'stalled' in l, 15_000);
      const late = await worker.waitFor((l) => 'late' in l);
      // Every packet of the batches answered after the stall is reported by id as late.
      assert.deepEqual(late.lateIds, late.answered);
      const stats = await statsOf(worker);
      assert.ok((stats.defaulted ?? 0) >= 1, JSON.stringify(stats));
      assert.ok((stats.lateAnswers ?? 0) >= 1, JSON.stringify(stats));
    } finally {
      await worker.stop();
    }
  });

  test('one verdict call that answers late and fresh packets reports exactly the late ones by id', async () => {
    const worker = await startWorker({ BW_MODE: 'hold-one', BW_DEADLINE_MS: '500' });
    try {
      assert.equal(connects(lab), true, 'the held SYN got the default accept');
      const holding = (await worker.waitFor((l) => 'holding' in l)).holding as number[];
      const answer = await worker.waitFor((l) => 'answeredHeld' in l);
      assert.ok(holding.length >= 1);
      assert.equal(answer.answeredHeld, holding.length);
      assert.deepEqual(answer.lateIds, holding, 'the held packets, and only they, are late');
      for (const id of answer.fresh as number[]) assert.ok(!holding.includes(id));
      const stats = await statsOf(worker);
      assert.ok((stats.lateAnswers ?? 0) >= holding.length, JSON.stringify(stats));
      assert.ok((stats.answered ?? 0) >= (answer.fresh as number[]).length, JSON.stringify(stats));
    } finally {
      await worker.stop();
    }
  });

  test('fail-closed drops traffic while the agent is blocked', async () => {
    const worker = await startWorker({ BW_MODE: 'accept', BW_DEFAULT: 'drop', BW_DEADLINE_MS: '150' });
    try {
      worker.send({ stallMs: 5000 });
      await worker.waitFor((l) => 'stalling' in l);
      assert.equal(connects(lab), false, 'default drop after the deadline');
      await worker.waitFor((l) => 'stalled' in l, 15_000);
      const stats = await statsOf(worker);
      assert.ok((stats.defaulted ?? 0) >= 1, JSON.stringify(stats));
    } finally {
      await worker.stop();
    }
  });

  test('accept after change: the changed packet is what the kernel delivers', async () => {
    const worker = await startWorker({ BW_MODE: 'same-payload', BW_COPY_RANGE: '1500' });
    try {
      assert.equal(connects(lab), true, 'the same packet handed back (checksum completed) passes');
      await worker.waitFor((l) => typeof l.changed === 'number' && l.changed > 0);
      worker.send({ mode: 'rewrite-port' });
      await worker.waitFor((l) => l.mode === 'rewrite-port');
      assert.equal(connects(lab), false, 'SYNs rewritten to a closed port never reach the listener');
    } finally {
      await worker.stop();
    }
  });

  test('accept with a mark sets the packet mark', async () => {
    // A later chain drops what carries mark 42: only the verdict's mark can put it there.
    const ruleset =
      'table inet bwmarktest {\n  chain input {\n    type filter hook input priority 10;\n    meta mark 42 drop\n  }\n}\n';
    const added = lab.exec(lab.server, 'sh', ['-c', `printf '%s' '${ruleset}' | nft -f -`]);
    assert.equal(added.code, 0, added.stderr);
    const worker = await startWorker({ BW_MODE: 'accept' });
    try {
      assert.equal(connects(lab), true);
      worker.send({ mode: 'mark' });
      await worker.waitFor((l) => l.mode === 'mark');
      assert.equal(connects(lab), false);
    } finally {
      await worker.stop();
      lab.exec(lab.server, 'nft', ['delete', 'table', 'inet', 'bwmarktest']);
    }
  });

  test('with acceptBareTcpAcks, bare ACKs are accepted in the addon and never reach JS; SYN and FIN do', async () => {
    const worker = await startWorker({ BW_MODE: 'accept', BW_BARE_ACKS: '1' });
    try {
      for (let i = 0; i < 3; i++) assert.equal(connects(lab), true);
      // Each connection: SYN and FIN reach JS; the handshake's last ACK and the ACK of the server's FIN do not.
      await worker.waitFor((l) => typeof l.seen === 'number' && l.seen >= 6);
      const stats = await statsOf(worker);
      assert.ok((stats.answeredNatively ?? 0) >= 3, JSON.stringify(stats));
      const counts = (worker.lines as { bareAcks?: number }[]).flatMap((l) => l.bareAcks ?? []);
      assert.ok(counts.length > 0);
      assert.equal(counts.at(-1), 0, 'JS saw a bare ACK');
    } finally {
      await worker.stop();
    }
  });

  test('every packet of a burst is answered or defaulted, and accounted for', async () => {
    const udp = await installQueueSteering({
      queue: QUEUE,
      name: 'burst',
      netns: lab.server,
      protocol: 'udp',
      destinationPorts: [9000],
    });
    assert.ok(udp.ok, udp.ok ? '' : udp.reason);
    const worker = await startWorker({ BW_MODE: 'accept' });
    try {
      const sent = lab.exec(lab.client, 'python3', [
        '-c',
        `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(5000): s.sendto(b'x'*100, ('${lab.serverAddress}',9000))`,
      ]);
      assert.equal(sent.code, 0, sent.stderr);
      let stats = await statsOf(worker);
      for (let i = 0; i < 300 && (stats.pending ?? 0) > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        stats = await statsOf(worker);
      }
      const s = stats as Record<string, number>;
      assert.ok((s.received ?? 0) > 0, JSON.stringify(s));
      assert.equal(s.pending, 0);
      assert.equal(s.received, (s.answered ?? 0) + (s.defaulted ?? 0) + (s.overflowDefaulted ?? 0), JSON.stringify(s));
      assert.ok((s.delivered ?? 0) <= (s.received ?? 0), JSON.stringify(s));
      assert.equal(s.receiveErrors, 0);
    } finally {
      await worker.stop();
      await removeQueueSteering({ queue: QUEUE, name: 'burst', netns: lab.server });
    }
  });

  test('the nft backend writes a valid queue rule (applied where the kernel has nft_queue)', async () => {
    const options = {
      queue: 11,
      name: 'nftprobe',
      netns: lab.server,
      protocol: 'tcp' as const,
      destinationPorts: [9443, 9444],
      backend: 'nft' as const,
    };
    const r = await installQueueSteering(options);
    try {
      if (r.ok) {
        assert.match(
          lab.exec(lab.server, 'nft', ['list', 'table', 'inet', 'bulwark_nfq_nftprobe']).stdout,
          /queue.*11/,
        );
      } else {
        // Without nft_queue the kernel refuses the expression; the text itself must still parse.
        assert.doesNotMatch(r.reason, /syntax error/);
        assert.match(r.reason, /Could not process rule: No such file or directory/);
      }
    } finally {
      assert.deepEqual(await removeQueueSteering(options), { ok: true });
    }
  });

  test('removing the steering leaves no rule behind', async () => {
    const removed = await removeQueueSteering({ queue: QUEUE, netns: lab.server });
    assert.ok(removed.ok, removed.ok ? '' : removed.reason);
    const rules = `${lab.exec(lab.server, 'iptables-save', []).stdout}${lab.exec(lab.server, 'nft', ['list', 'ruleset']).stdout}`;
    assert.doesNotMatch(rules, /NFQUEUE|queue num/i);
    const again = await installQueueSteering({
      queue: QUEUE,
      netns: lab.server,
      protocol: 'tcp',
      destinationPorts: [PORT],
    });
    assert.ok(again.ok);
    const listed = `${lab.exec(lab.server, 'iptables-save', []).stdout}${lab.exec(lab.server, 'nft', ['list', 'ruleset']).stdout}`;
    assert.match(
      listed,
      again.backend === 'nft' ? /queue.*num 7.*bypass|queue flags bypass to 7/ : /NFQUEUE --queue-num 7 --queue-bypass/,
    );
  });
});

/** A TCP connect from the client namespace to the server's port. */
function connects(lab: Lab): boolean {
  return lab.exec(lab.client, 'nc', ['-z', '-w', '2', lab.serverAddress, String(PORT)]).code === 0;
}

/** Polls `check` for up to 30 s: long enough for a machine under load, free when it holds at once. */
async function waitUntil(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}
