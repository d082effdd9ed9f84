/**
 * The false-positive workflow of issue 13, run inside the lab's namespace "a" (ip netns exec): a
 * test manager, the real bulwark-agent with intrusion prevention on, python3's http.server on
 * port 80, requests with curl from the client namespace, and every change through the admin CLI,
 * as an administrator would type it (README "The false-positive workflow by hand"). Prints one
 * JSON line per step; false-positive-workflow.test.ts asserts on them.
 *
 * Environment: BWIPS_CLIENT_NS (the client's namespace), BWIPS_SELF (this host's address),
 * BWIPS_QUEUE (first NFQUEUE number the agent may use).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUILT_IN_RULES } from '../../modules/ips/rules/built-in-rules.js';
import { bearer, call, startTestManager } from '../manager/manager-harness.js';
import { activateAndRunAgent, eventually, SYSTEM } from '../manager/real-agent-process.js';
import { LOG4SHELL_HEADER, LONG_URI_PATH, request, SQLI_PATH } from './ips-lab.js';
import { createNamespacesHandle } from './scenario-support.js';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const run = promisify(execFile);
const cliBin = new URL('../../packages/platform-manager/bin/bulwark.js', import.meta.url).pathname;
const clientNs = process.env.BWIPS_CLIENT_NS ?? '';
const self = process.env.BWIPS_SELF ?? '';
const queue = Number(process.env.BWIPS_QUEUE ?? '120');
const lab = createNamespacesHandle();
const base = `http://${self}`;

type Json = Record<string, unknown>;
const uriRule = BUILT_IN_RULES.find((r) => r.detection.kind === 'http-limits');
const log4shellRule = BUILT_IN_RULES.find((r) => /log4|jndi/i.test(`${r.name} ${r.description}`));
const sqliRule = BUILT_IN_RULES.find((r) => /sql injection/i.test(r.name));

const dir = await mkdtemp(join(tmpdir(), 'bulwark-ips-workflow-'));
const agentDir = join(dir, 'agent');
const webRoot = join(dir, 'www');
await mkdir(webRoot);
await writeFile(join(dir, 'agent.conf'), `ips.queue = ${queue}\n`, { mode: 0o600 });
process.env.BULWARK_AGENT_CONFIG = join(dir, 'agent.conf');
const web = spawn('python3', ['-m', 'http.server', '80', '--bind', self, '--directory', webRoot], { stdio: 'ignore' });
const t = await startTestManager();
let agent: Awaited<ReturnType<typeof activateAndRunAgent>> | undefined;
const commands: string[] = [];

/** `bulwark --json ARGS…` as an administrator; the command line is kept for the README check. */
async function cli(...args: string[]): Promise<unknown> {
  commands.push(`bulwark ${args.join(' ')}`);
  const r = await run(process.execPath, [cliBin, '--json', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      BULWARK_MANAGER: t.manager.consoleUrl,
      BULWARK_API_KEY: t.keys.administrator,
      BULWARK_CA: join(t.dataDir, 'pki', 'ca.crt'),
    },
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return r.stdout.trim() === '' ? null : JSON.parse(r.stdout);
}

try {
  if (!uriRule || !(log4shellRule ?? sqliRule)) {
    throw new Error(
      `the built-in rules lack the HTTP limits rule or a Log4Shell/SQL injection rule: ${BUILT_IN_RULES.map((r) => r.id).join(', ')}`,
    );
  }
  const second = log4shellRule ?? sqliRule!;
  const secondAttack = () =>
    log4shellRule
      ? request(lab, clientNs, `${base}/`, [LOG4SHELL_HEADER])
      : request(lab, clientNs, `${base}${SQLI_PATH}`);
  const longUri = () => request(lab, clientNs, `${base}${LONG_URI_PATH}`);
  const benign = () => request(lab, clientNs, `${base}/`);

  // The policy: intrusion prevention and inventory on, every other module off, inline.
  const { services } = t.manager;
  const created = await services.policies.create({ name: 'Web servers' }, SYSTEM);
  if (!created.ok) throw new Error(created.error.message);
  const policy = { kind: 'policy' as const, id: created.value.id };
  for (const other of services.modules.list()) {
    if (['platform', 'ips', 'inventory'].includes(other.id) || !('enabled' in other.defaults)) continue;
    const set = await services.settings.set(policy, `${other.id}.enabled`, false, SYSTEM);
    if (!set.ok) throw new Error(set.error.message);
  }
  await cli('settings', 'set', '--policy', 'Web servers', 'ips.enabled', 'true');
  await cli('settings', 'set', '--policy', 'Web servers', 'inventory.enabled', 'true');
  await cli('rules', 'assign', '--policy', 'Web servers', 'ips', uriRule.id, second.id);

  agent = await activateAndRunAgent(t, policy.id, agentDir);
  const computerId = agent.computerId;
  await cli('rules', 'assign', '--computer', computerId, 'ips', uriRule.id);
  const api = (path: string) =>
    call(`${t.manager.consoleUrl}${path}`, { headers: bearer(t.keys.auditor), ca: t.manager.caCertPem });
  type Computer = {
    configurationVersion: string;
    appliedConfigurationVersion: string | null;
    modules: { id: string; state: string; reason?: string; counters?: Record<string, number> }[];
  };
  const inSync = async (what: string) => {
    const c = await eventually(
      async () => (await api(`/api/computers/${computerId}`)).json as Computer,
      (c) =>
        c.appliedConfigurationVersion === c.configurationVersion &&
        c.modules.some((m) => m.id === 'ips' && m.state !== 'off'),
      90_000,
      `${what} (agent output: ${agent?.output().slice(-1500)})`,
    );
    return c.modules.find((m) => m.id === 'ips');
  };
  const events = async (): Promise<Json[]> =>
    (await cli('events', 'list', '--computer', computerId, '--module', 'ips', '--limit', '200')) as Json[];
  const eventFor = (ruleId: string, action: string, after: number) =>
    eventually(
      events,
      (list) => list.some((e) => e.ruleId === ruleId && e.action === action && Number(e.seq) > after),
      60_000,
      `an event ${action} for ${ruleId}`,
    ).then((list) => list.find((e) => e.ruleId === ruleId && e.action === action && Number(e.seq) > after) as Json);
  const lastSeq = async () => Math.max(0, ...(await events()).map((e) => Number(e.seq)));

  const ips = await inSync('the agent applying its first configuration with IPS on');
  out({ step: 'on', ips, benign: benign() });

  // 1. The false positive: a legitimate long URI is reset.
  const reset = longUri();
  const resetEvent = await eventFor(uriRule.id, 'Reset', 0);
  out({ step: 'reset', request: reset, event: resetEvent, benign: benign() });

  // 2. The computer to tap: the same request passes, the event says what would have happened.
  let seq = await lastSeq();
  await cli('settings', 'set', '--computer', computerId, 'platform.networkEngineMode', 'tap');
  await inSync('the agent applying tap');
  const tapped = longUri();
  const tapEvent = await eventFor(uriRule.id, 'Detect Only: Reset', seq);
  out({ step: 'tap', request: tapped, event: tapEvent });

  // 3. Where is the rule assigned? Unassign it there; exclude it from recommendations.
  const shown = (await cli('rules', 'show', 'ips', uriRule.id)) as Json;
  await cli('rules', 'unassign', '--policy', 'Web servers', 'ips', uriRule.id);
  await cli('rules', 'unassign', '--computer', computerId, 'ips', uriRule.id);
  await cli('rules', 'exclude', 'ips', uriRule.id);
  const afterUnassign = (await cli('rules', 'show', 'ips', uriRule.id)) as Json;
  out({ step: 'unassigned', shown, afterUnassign });

  // 4. A recommendation scan with auto-apply does not bring it back.
  await eventually(
    () => api(`/api/computers/${computerId}/inventory`),
    (a) => a.status === 200 && JSON.stringify(a.json).includes('"port":80'),
    90_000,
    'the inventory with the web server listening on port 80',
  );
  const scan = (await cli('computers', 'recommend', computerId, '--apply')) as Json;
  const effective = (await cli('rules', 'effective', '--computer', computerId, '--module', 'ips')) as Json[];
  await inSync('the agent applying the configuration after the scan');
  out({ step: 'scan', scan, effective: effective.map((r) => r.id) });

  // 5. The request raises no event any more. The second attack (still assigned) is the marker:
  // its event is flushed no earlier than any event of the long URI sent before it.
  seq = await lastSeq();
  const quiet = longUri();
  const marker = secondAttack();
  const markerEvent = await eventFor(second.id, 'Detect Only: Reset', seq);
  const since = (await events()).filter((e) => Number(e.seq) > seq);
  out({ step: 'quiet', request: quiet, marker, markerEvent, uriEvents: since.filter((e) => e.ruleId === uriRule.id) });

  // 6. Tap off (inherited: inline): a different attack is reset again.
  seq = await lastSeq();
  await cli('settings', 'unset', '--computer', computerId, 'platform.networkEngineMode');
  const mode = (await cli('settings', 'get', '--computer', computerId, 'platform.networkEngineMode')) as Json;
  await inSync('the agent applying inline again');
  const attack = secondAttack();
  const attackEvent = await eventFor(second.id, 'Reset', seq);
  out({ step: 'inline-again', mode, request: attack, event: attackEvent, longUri: longUri(), benign: benign() });
  out({ step: 'commands', commands });
} catch (error) {
  out({
    step: 'error',
    message: error instanceof Error ? error.stack : String(error),
    agent: agent?.output().slice(-3000),
  });
} finally {
  agent?.process.kill('SIGKILL');
  web.kill();
  await t.close();
  await rm(dir, { recursive: true, force: true });
  out({ step: 'done' });
  process.exit(0);
}
