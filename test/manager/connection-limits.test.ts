import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { type ConnectionLimits, type RunningManager, startManager } from '@bulwark/platform-manager';
import { waitFor } from './fake-agent-flow.js';
import { activateFakeAgent, call, type FakeAgent } from './manager-harness.js';

/** Idle TCP connections (nothing sent, not even a TLS hello), each reporting when the server closes it. */
function idleConnections(url: string, count: number, localAddress: string) {
  const { hostname, port } = new URL(url);
  let closed = 0;
  const sockets = Array.from({ length: count }, () => {
    const socket = net.connect({ host: hostname, port: Number(port), localAddress });
    socket.on('error', () => {});
    socket.once('close', () => closed++);
    return socket;
  });
  return {
    closed: () => closed,
    destroy: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

const health = (manager: RunningManager) =>
  call(`${manager.consoleUrl}/api/health`, { ca: manager.caCertPem, timeoutMs: 5_000 });

const small: ConnectionLimits = {
  maxConnections: 40,
  maxConnectionsPerAddress: 20,
  handshakeTimeoutMs: 4_000,
  firstRequestTimeoutMs: 1_500,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
};

/** Item 2 and 13c of issue 10: idle connections to the agent port took the whole manager down. */
describe('connection limits: the agent port cannot take the console port down', () => {
  let manager: RunningManager;
  let dataDir: string;
  let agent: FakeAgent;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bulwark-connections-'));
    manager = await startManager({
      dataDir,
      consolePort: 0,
      agentPort: 0,
      listenAddress: '127.0.0.1',
      logger: false,
      connectionLimits: { agent: small, console: small },
    });
    agent = await activateFakeAgent(manager);
  });
  after(async () => {
    await manager?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('over the per-address limit connections are closed at once; over the listener limit too; the console still answers', async () => {
    const first = idleConnections(manager.agentUrl, 30, '127.0.0.1');
    try {
      await waitFor(() => first.closed() >= 10, 'the 10 over the per-address limit to close', 3_000);
      assert.equal(first.closed(), 10, 'the 20 within the limit stay (until the handshake deadline)');
      const others = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((a) => idleConnections(manager.agentUrl, 15, a));
      try {
        // 20 + 45 offered, 40 held: at least 25 closed at once.
        await waitFor(
          () => others.reduce((n, o) => n + o.closed(), 0) >= 25,
          'the listener limit to close the rest',
          3_000,
        );
        const answer = await health(manager);
        assert.equal(answer.status, 200, 'the console port answers while the agent port is full');
      } finally {
        for (const o of others) o.destroy();
      }
    } finally {
      first.destroy();
    }
    // Once the flood is gone (the server sees the closes a moment later), agents get through again.
    const deadline = Date.now() + 10_000;
    let heartbeat: { status: number; text: string } = { status: 0, text: 'not tried' };
    while (heartbeat.status !== 200 && Date.now() < deadline) {
      heartbeat = await call(`${manager.agentUrl}/agent/v1/heartbeat`, {
        body: {
          appliedConfigurationVersion: null,
          modules: [],
          agentVersion: '1',
          spool: { pendingEvents: 0, droppedEvents: 0 },
        },
        ...agent.tls,
      }).catch((error: Error) => ({ status: 0, text: error.message }));
    }
    assert.equal(heartbeat.status, 200, heartbeat.text);
  });

  test('a TCP connection that never starts TLS is closed at the handshake deadline', async () => {
    const started = Date.now();
    const idle = idleConnections(manager.agentUrl, 1, '127.0.0.5');
    await waitFor(() => idle.closed() === 1, 'the idle TCP connection to close', 15_000);
    const ms = Date.now() - started;
    assert.ok(ms >= small.handshakeTimeoutMs - 500, `closed after ${ms} ms`);
  });

  for (const port of ['agent', 'console'] as const) {
    test(`${port} port: a TLS connection that sends nothing after the handshake is closed`, async () => {
      const url = new URL(port === 'agent' ? manager.agentUrl : manager.consoleUrl);
      const socket = tls.connect({
        host: url.hostname,
        port: Number(url.port),
        ca: manager.caCertPem,
        servername: 'localhost',
        ...(port === 'agent' ? { key: agent.tls.key, cert: agent.tls.cert } : {}),
      });
      socket.on('error', () => {});
      let closedAt = 0;
      socket.once('close', () => {
        closedAt = Date.now();
      });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('secureConnect', resolve);
          socket.once('error', reject);
        });
        const connectedAt = Date.now();
        await waitFor(() => closedAt > 0, 'the server to close the idle TLS connection', 15_000);
        const ms = closedAt - connectedAt;
        assert.ok(ms >= small.firstRequestTimeoutMs - 300 && ms < small.firstRequestTimeoutMs + 5_000, `${ms} ms`);
      } finally {
        socket.destroy();
      }
    });
  }
});

const bin = new URL('../../packages/platform-manager/bin/bulwark-manager.js', import.meta.url).pathname;

describe('the bulwark-manager process keeps descriptors for the console port', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bulwark-descriptors-'));
  });
  after(async () => {
    child?.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  });

  test('with 256 descriptors, 600 idle connections to the agent port leave the console answering', async (t) => {
    if (!(await commandExists('prlimit'))) return t.skip('prlimit (util-linux) is missing: cannot lower the limit');
    child = spawn(
      'prlimit',
      [
        '--nofile=256:256',
        process.execPath,
        bin,
        '--data-dir',
        dataDir,
        '--console-port',
        '0',
        '--agent-port',
        '0',
        '--listen-address',
        '127.0.0.1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(() => /agents:\s+https:\/\/\S+[\s\S]*CA SHA-256/.test(output), 'the manager banner', 60_000);
    const consoleUrl = /console\/API:\s+(https:\/\/\S+)/.exec(output)![1]!;
    const agentUrl = /agents:\s+(https:\/\/\S+)/.exec(output)![1]!;
    const floods = ['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((a) => idleConnections(agentUrl, 200, a));
    try {
      // The agent port's share is 60 % of 256 (153): the rest is closed at once, well before the
      // 10 s handshake deadline would close any of them.
      await waitFor(
        () => floods.reduce((n, f) => n + f.closed(), 0) >= 600 - 160,
        'the agent port to refuse the excess at once',
        6_000,
      );
      const ca = await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8');
      const answer = await call(`${consoleUrl}/api/health`, { ca, timeoutMs: 10_000 }).catch((error: Error) => ({
        status: 0,
        text: error.message,
      }));
      assert.equal(answer.status, 200, `console port: ${answer.text}\n${output.slice(-2000)}`);
    } finally {
      for (const f of floods) f.destroy();
    }
  });
});

function commandExists(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    probe.once('exit', (code) => resolve(code === 0));
    probe.once('error', () => resolve(false));
  });
}
