/**
 * What the firewall must never do, against real traffic in the namespace lab: lock administrators
 * out of SSH through recommended rules, cut the agent off from its manager, depend on the agent
 * process to keep enforcing (fail mode), or forget a blocked scanner when the agent restarts.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FirewallAgent, namespaceNft } from '@bulwark/module-firewall/agent';
import { managerModule as firewallManager } from '@bulwark/module-firewall/manager';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { Inventory, PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { moduleConfiguration, platform, quiet } from './configurations.js';
import {
  A_B,
  A_C,
  type AgentWorker,
  B,
  C,
  createLab,
  eventually,
  inBlockedSet,
  type Lab,
  listen,
  nflogSkipReason,
  startAgentWorker,
  waitReady,
} from './firewall-lab.js';

const skip = nflogSkipReason(['nft', 'nc', 'ip', 'nmap']);
const bounded = { timeout: 90_000 };
const MANAGER_PORT = 4120;
const MANAGER_URL = `https://${C}:${MANAGER_PORT}`;

/** An agent data dir as the platform agent lays it out. */
function agentDataDir(): { root: string; moduleDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'bwfw-safety-'));
  const moduleDir = join(root, 'modules', 'firewall');
  mkdirSync(moduleDir, { recursive: true });
  return { root, moduleDir };
}

describe('firewall safety', { skip }, () => {
  let lab: Lab;
  let listenerA: ChildProcess;
  let listenerC: ChildProcess;
  let agent: FirewallAgent;
  let data: { root: string; moduleDir: string };

  before(async () => {
    lab = createLab();
    listenerA = listen(lab.a, [22, 80, 9000]);
    // "c" plays the manager (4120) and some other service on the same host (4121).
    listenerC = listen(lab.c, [MANAGER_PORT, 4121]);
    await Promise.all([waitReady(listenerA), waitReady(listenerC)]);
    data = agentDataDir();
    agent = new FirewallAgent(
      {
        dataDir: data.moduleDir,
        managerUrl: MANAGER_URL,
        log: { info() {}, warn() {}, error() {} },
        emit() {},
        reportInventory() {},
        writeStateFile: moduleStateFileWriter(data.moduleDir),
      },
      { nft: namespaceNft(lab.a), openPacketLog: () => ({ available: false, reason: 'verdicts only' }) },
    );
  });

  after(async () => {
    await agent?.stop();
    listenerA?.kill();
    listenerC?.kill();
    lab?.destroy();
    if (data) rmSync(data.root, { recursive: true, force: true });
  });

  test(
    'the recommended rules of a host running sshd keep SSH open and close what nothing allows',
    bounded,
    async () => {
      const inventory: Inventory = {
        collectedAt: '2026-01-01T00:00:00Z',
        hostname: 'a',
        os: { id: 'debian', name: 'Debian' },
        kernel: { release: '6.1', machine: 'x86_64' },
        packages: [],
        services: [],
        users: [],
        listeningPorts: [
          { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 22, process: 'sshd' },
          { protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 80, process: 'nginx' },
        ],
      };
      const ids = firewallManager.recommend?.(inventory) ?? [];
      // Exactly what the manager compiles: built-in rules, settings with no IP lists defined.
      const configuration = firewallManager.compile({
        computerId: 'a',
        settings: { ...Value.Create(firewallManager.settings), enabled: true, ...quiet },
        platform: platform(),
        rules: ids.map((id) => ({
          id,
          definition: firewallManager.builtInRules?.find((r) => r.id === id),
          overrides: {},
        })),
      });
      await agent.apply({ enabled: true, configuration }, platform());
      assert.equal(agent.status().state, 'on', JSON.stringify(agent.status()));
      assert.ok(lab.connects(lab.b, A_B, 22), 'SSH from an administrator');
      assert.ok(lab.connects(lab.c, A_C, 22), 'SSH from anywhere (no administrator list defined)');
      assert.ok(lab.connects(lab.b, A_B, 80), 'the web server the inventory showed');
      assert.equal(lab.connects(lab.b, A_B, 9000), false, 'implicit deny is on');
    },
  );

  test(
    'rules that deny everything outgoing (and the manager by address) leave the manager channel open',
    bounded,
    async () => {
      await agent.apply(
        moduleConfiguration(
          [
            { id: 'deny-c', action: 'deny', direction: 'outgoing', destination: { addresses: [C] } },
            {
              id: 'dns-only',
              action: 'allow',
              direction: 'outgoing',
              protocol: 'udp',
              destinationPorts: { ports: [53] },
            },
            { id: 'web-in', action: 'allow', protocol: 'tcp', destinationPorts: { ports: [80] } },
          ],
          { ...quiet, trackTcpState: false, trackUdpState: false, trackIcmpState: false },
        ),
        platform(),
      );
      assert.equal(agent.status().state, 'on', JSON.stringify(agent.status()));
      assert.ok(lab.connects(lab.a, C, MANAGER_PORT), 'the agent reaches its manager');
      assert.equal(lab.connects(lab.a, C, 4121), false, 'the rest of that host stays denied');
      assert.ok(lab.connects(lab.b, A_B, 80), 'incoming allowed flows live with state tracking off');
    },
  );

  test('an established flow survives implicit deny with state tracking off', bounded, async () => {
    // Incoming has implicit deny and no rule for the answers to what "a" opens; outgoing is open.
    await agent.apply(
      moduleConfiguration([{ id: 'web-in', action: 'allow', protocol: 'tcp', destinationPorts: { ports: [80] } }], {
        ...quiet,
        trackTcpState: false,
      }),
      platform(),
    );
    assert.ok(lab.connects(lab.a, C, 4121), 'the answer to a connection "a" opened comes back in');
    assert.equal(lab.connects(lab.c, A_C, 9000), false);
  });

  describe('with the agent running in the namespace (NFLOG, blocking)', () => {
    let worker: AgentWorker;
    let workerData: { root: string; moduleDir: string };

    before(async () => {
      await agent.apply({ enabled: false, configuration: null }, platform());
      workerData = agentDataDir();
      worker = startAgentWorker(lab.a, workerData.moduleDir, MANAGER_URL);
    });

    after(async () => {
      worker?.signal('SIGCONT');
      await worker?.stop();
      rmSync(workerData.root, { recursive: true, force: true });
    });

    const denyWith = (failMode: PlatformSettings['failMode']) => ({
      configuration: moduleConfiguration(
        [{ id: 'deny-9000', action: 'deny', protocol: 'tcp', destinationPorts: { ports: [9000] } }],
        { ...quiet, detectPortScans: true, blockPortScans: true, blockSeconds: 300 },
      ),
      platform: { ...platform(), failMode, failDeadlineMilliseconds: 50 },
    });

    for (const failMode of ['open', 'closed'] as const) {
      test(`fail ${failMode}: a frozen agent holds no packet; the table keeps deciding`, bounded, async () => {
        const applied = await worker.apply(denyWith(failMode));
        assert.equal((applied.status as { state: string }).state, 'on', JSON.stringify(applied.status));
        worker.signal('SIGSTOP');
        try {
          const t0 = Date.now();
          assert.ok(lab.connects(lab.c, A_C, 80), 'allowed traffic flows');
          assert.equal(lab.connects(lab.c, A_C, 9000), false, 'denied traffic is still denied');
          assert.ok(Date.now() - t0 < 4000, 'nothing waited for the agent');
        } finally {
          worker.signal('SIGCONT');
        }
      });
    }

    test(
      'a scanner blocked before an agent restart is blocked after it, even if the table was lost',
      bounded,
      async () => {
        await worker.apply(denyWith('open'));
        const scan = lab.exec(lab.b, 'nmap', ['-n', '-Pn', '-sS', '--max-retries', '1', '-p', '1-200', A_B], 60_000);
        assert.equal(scan.code, 0, scan.stderr);
        await worker.waitFor((l) => {
          const e = l.event as { type?: string; action?: string; details?: { source?: string } } | undefined;
          return e?.type === 'reconnaissance' && e.action === 'Block' && e.details?.source === B;
        });
        // The block goes to nft after its event: wait for the set element, not for a time.
        await eventually('the scanner in the blocked set', () => inBlockedSet(lab, lab.a, B));
        assert.equal(lab.connects(lab.b, A_B, 80), false, 'blocked');
        const saved = JSON.parse(readFileSync(join(workerData.moduleDir, 'state.json'), 'utf8')) as {
          blocks: { address: string; untilMs: number }[];
        };
        assert.deepEqual(
          saved.blocks.map((b) => b.address),
          [B],
        );
        assert.ok((saved.blocks[0]?.untilMs ?? 0) > Date.now() + 200_000, 'saved with its end');
        await worker.stop();
        // As after a reboot: the kernel forgot the table and its blocked set.
        assert.equal(lab.exec(lab.a, 'nft', ['delete', 'table', 'inet', 'bulwark']).code, 0);
        assert.ok(lab.connects(lab.b, A_B, 80), 'no table, no block');
        worker = startAgentWorker(lab.a, workerData.moduleDir, MANAGER_URL);
        await worker.apply(denyWith('open'));
        assert.equal(lab.connects(lab.b, A_B, 80), false, 'the restarted agent restored the block');
        assert.ok(lab.connects(lab.c, A_C, 80), 'and nobody else is blocked');
        assert.match(
          lab.exec(lab.a, 'nft', ['list', 'set', 'inet', 'bulwark', 'blocked4']).stdout,
          /10\.77\.1\.2 timeout/,
        );
      },
    );
  });
});
