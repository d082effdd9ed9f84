/**
 * Runs inside the lab's namespace "a" (ip netns exec): a test manager, the real bulwark-agent with
 * the firewall in inline mode, and `bulwark computers recommend ID --apply` through the admin CLI,
 * with the host's traffic checked before and after. Prints one JSON line per step; the test
 * (recommend-apply.test.ts) asserts on them. BWRA_PEER_NS / BWRA_PEER / BWRA_SELF name the peer
 * namespace "b", an address of b with a listener on BWRA_PEER_PORT, and a's own address.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bearer, call, startTestManager } from '../manager/manager-harness.js';
import { activateAndRunAgent, eventually, SYSTEM } from '../manager/real-agent-process.js';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const run = promisify(execFile);
const cliBin = new URL('../../packages/platform-manager/bin/bulwark.js', import.meta.url).pathname;
const peerNs = process.env.BWRA_PEER_NS ?? '';
const peer = process.env.BWRA_PEER ?? '';
const peerPort = Number(process.env.BWRA_PEER_PORT);
const self = process.env.BWRA_SELF ?? '';
const LOOPBACK_PORT = 8081;
const INBOUND_PORT = 8082;

/** Whether a new TCP connection from this namespace to host:port completes within 2 s. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done(true));
    socket.on('error', () => {});
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function traffic() {
  return {
    loopback: await connects('127.0.0.1', LOOPBACK_PORT),
    outbound: await connects(peer, peerPort),
    inbound:
      spawnSync('ip', ['netns', 'exec', peerNs, 'nc', '-z', '-w', '2', self, String(INBOUND_PORT)], { timeout: 10_000 })
        .status === 0,
  };
}

const answer = (s: net.Socket) => {
  s.on('error', () => {});
  s.end('ok\n');
};
const servers = [
  net.createServer(answer).listen(LOOPBACK_PORT, '127.0.0.1'),
  net.createServer(answer).listen(INBOUND_PORT, '0.0.0.0'),
];
const t = await startTestManager();
const agentDir = await mkdtemp(join(tmpdir(), 'bulwark-recommend-apply-'));
let agent: Awaited<ReturnType<typeof activateAndRunAgent>> | undefined;
try {
  const { services } = t.manager;
  const policy = await services.policies.create({ name: 'Firewall inline, recommendations' }, SYSTEM);
  if (!policy.ok) throw new Error(policy.error.message);
  const target = { kind: 'policy' as const, id: policy.value.id };
  for (const other of services.modules.list()) {
    if (['platform', 'firewall', 'inventory'].includes(other.id) || !('enabled' in other.defaults)) continue;
    const set = await services.settings.set(target, `${other.id}.enabled`, false, SYSTEM);
    if (!set.ok) throw new Error(set.error.message);
  }
  for (const [key, value] of [
    ['firewall.enabled', true],
    ['platform.networkEngineMode', 'inline'],
  ] as const) {
    const set = await services.settings.set(target, key, value, SYSTEM);
    if (!set.ok) throw new Error(`${key}: ${set.error.message}`);
  }
  agent = await activateAndRunAgent(t, policy.value.id, agentDir);
  const computerId = agent.computerId;
  const api = (path: string) =>
    call(`${t.manager.consoleUrl}${path}`, { headers: bearer(t.keys.auditor), ca: t.manager.caCertPem });
  const inSync = async (what: string) =>
    eventually(
      async () =>
        (await api(`/api/computers/${computerId}`)).json as {
          status: string;
          configurationVersion: string;
          appliedConfigurationVersion: string | null;
          modules: { id: string; state: string; reason?: string }[];
        },
      (c) =>
        c.appliedConfigurationVersion === c.configurationVersion &&
        c.modules.some((m) => m.id === 'firewall' && m.state === 'on'),
      90_000,
      `${what} (agent output: ${agent?.output().slice(-1500)})`,
    );
  const first = await inSync('the agent applying its first configuration with the firewall on');
  await eventually(
    () => api(`/api/computers/${computerId}/inventory`),
    (a) => a.status === 200,
    60_000,
    'the inventory arriving',
  );
  out({ step: 'before', firewall: first.modules.find((m) => m.id === 'firewall'), traffic: await traffic() });

  const scan = await run(process.execPath, [cliBin, '--json', 'computers', 'recommend', computerId, '--apply'], {
    env: {
      PATH: process.env.PATH ?? '',
      BULWARK_MANAGER: t.manager.consoleUrl,
      BULWARK_API_KEY: t.keys.operator,
      BULWARK_CA: join(t.dataDir, 'pki', 'ca.crt'),
    },
    timeout: 60_000,
  });
  out({ step: 'scan', scan: JSON.parse(scan.stdout) });
  const after = await inSync('the agent applying the configuration after the scan');
  const effective = await api(`/api/computers/${computerId}/rules?module=firewall`);
  out({
    step: 'after',
    versionChanged: after.configurationVersion !== first.configurationVersion,
    firewall: after.modules.find((m) => m.id === 'firewall'),
    effective: effective.json,
    traffic: await traffic(),
  });
} catch (error) {
  out({ step: 'error', message: error instanceof Error ? error.stack : String(error) });
} finally {
  agent?.process.kill('SIGKILL');
  await t.close();
  await rm(agentDir, { recursive: true, force: true });
  for (const s of servers) s.close();
  out({ step: 'done' });
  process.exit(0);
}
