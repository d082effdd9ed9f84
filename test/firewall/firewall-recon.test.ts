/**
 * Reconnaissance against real scans: nmap in namespace "b" (or "c") scans the protected host "a",
 * where the agent module runs. Each scan kind must be detected and named; with blocking on the
 * scanner is cut off (a set element with a timeout), and in tap mode it is only reported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { moduleConfiguration, platform } from './configurations.js';
import {
  A_B,
  A_C,
  type AgentWorker,
  B,
  C,
  eventually,
  inBlockedSet,
  type Lab,
  nflogSkipReason,
  startWorkerLab,
} from './firewall-lab.js';

const skip = nflogSkipReason(['nft', 'nc', 'ip', 'nmap']);

type Event = { action?: string; type: string; summary: string; details?: Record<string, unknown> };
const recon = (kind: string, source: string) => (l: Record<string, unknown>) => {
  const e = l.event as Event | undefined;
  return e?.type === 'reconnaissance' && e.details?.kind === kind && e.details?.source === source;
};

const detectOnly = { blockPortScans: false, blockNetworkSweeps: false, blockTcpProbes: false };

describe('reconnaissance detection against nmap', { skip }, () => {
  let lab: Lab;
  let worker: AgentWorker;
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    ({ lab, worker, close } = await startWorkerLab([22, 80]));
    const applied = await worker.apply({
      configuration: moduleConfiguration([], detectOnly),
      platform: platform('inline'),
    });
    assert.equal((applied.status as { state: string }).state, 'on', JSON.stringify(applied.status));
  });

  after(() => close?.());

  const nmap = (ns: string, args: string[]) => {
    const r = lab.exec(ns, 'nmap', ['-n', '-T4', '--max-retries', '1', '--host-timeout', '30s', ...args], 60_000);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  for (const [flag, kind] of [
    ['-sN', 'null-probe'],
    ['-sF', 'fin-probe'],
    ['-sX', 'xmas-probe'],
    ['--scanflags=SYNFIN', 'syn-fin-probe'],
  ] as const) {
    test(`nmap ${flag} is detected as ${kind} (detection only: the scanner keeps its access)`, async () => {
      nmap(lab.b, [...(flag.startsWith('--scanflags') ? ['-sS'] : []), flag, '-Pn', '-p', '20-40,80', A_B]);
      const line = await worker.waitFor(recon(kind, B));
      assert.equal((line.event as Event).action, 'Log');
      assert.ok(lab.connects(lab.b, A_B, 80));
    });
  }

  test('a host sweep (nmap -sn over the subnet) is detected as a network sweep', async () => {
    nmap(lab.b, ['-sn', '10.77.1.0/27']);
    await worker.waitFor(recon('network-sweep', B));
  });

  test('a SYN port scan is detected, and with blocking on the scanner is cut off', async () => {
    await worker.apply({
      configuration: moduleConfiguration([], { ...detectOnly, blockPortScans: true, blockSeconds: 120 }),
      platform: platform('inline'),
    });
    assert.ok(lab.connects(lab.b, A_B, 80), 'not blocked before the scan');
    nmap(lab.b, ['-sS', '-Pn', '-p', '1-200', A_B]);
    // The probe scans above were port scans too (reported as Log); this one must block.
    const line = await worker.waitFor((l) => recon('port-scan', B)(l) && (l.event as Event).action === 'Block');
    assert.match((line.event as Event).summary, /blocked for 120 s/);
    // The block goes to nft after its event: wait for the set element, not for a time.
    await eventually('the scanner in the blocked set', () => inBlockedSet(lab, lab.a, B));
    assert.equal(lab.connects(lab.b, A_B, 80), false, 'the scanner is cut off');
    assert.ok(lab.connects(lab.c, A_C, 80), 'other sources are not');
    assert.match(lab.exec(lab.a, 'nft', ['list', 'set', 'inet', 'bulwark', 'blocked4']).stdout, /10\.77\.1\.2 timeout/);
  });

  test('a block survives a configuration change', async () => {
    await worker.apply({
      configuration: moduleConfiguration([], {
        ...detectOnly,
        blockPortScans: true,
        blockTcpProbes: true,
        blockSeconds: 120,
      }),
      platform: platform('inline'),
    });
    assert.equal(lab.connects(lab.b, A_B, 80), false);
  });

  test('an Xmas scan with probe blocking on cuts the scanner off', async () => {
    nmap(lab.c, ['-sX', '-Pn', '-p', '20-30', A_C]);
    const line = await worker.waitFor((l) => recon('xmas-probe', C)(l) && (l.event as Event).action === 'Block');
    assert.ok(line);
    // The block goes to nft after its event: wait for the set element, not for a time.
    await eventually('the scanner in the blocked set', () => inBlockedSet(lab, lab.a, C));
    assert.equal(lab.connects(lab.c, A_C, 80), false);
  });

  test('tap mode: a scan is reported as Detect Only and nobody is blocked', async () => {
    await worker.apply({
      configuration: moduleConfiguration([], { ...detectOnly, blockPortScans: true, blockSeconds: 120 }),
      platform: platform('tap'),
    });
    assert.ok(lab.connects(lab.b, A_B, 80), 'tap mode lifts blocks');
    nmap(lab.c, ['-sS', '-Pn', '-p', '1-200', A_C]);
    const line = await worker.waitFor(
      (l) => recon('port-scan', C)(l) && (l.event as Event).action === 'Detect Only: Block',
    );
    assert.ok(line);
    assert.ok(lab.connects(lab.c, A_C, 80), 'the scanner still connects');
  });

  test('a host sweep with sweep blocking on cuts the sweeper off', { timeout: 90_000 }, async () => {
    await worker.apply({
      configuration: moduleConfiguration([], { ...detectOnly, blockNetworkSweeps: true, blockSeconds: 120 }),
      platform: platform('inline'),
    });
    assert.ok(lab.connects(lab.c, A_C, 80), 'not blocked before the sweep');
    nmap(lab.c, ['-sn', '10.77.2.0/27']);
    const line = await worker.waitFor((l) => recon('network-sweep', C)(l) && (l.event as Event).action === 'Block');
    assert.match((line.event as Event).summary, /blocked for 120 s/);
    // The block goes to nft after its event: wait for the set element, not for a time.
    await eventually('the scanner in the blocked set', () => inBlockedSet(lab, lab.a, C));
    assert.equal(lab.connects(lab.c, A_C, 80), false, 'the sweeper is cut off');
    assert.ok(lab.connects(lab.b, A_B, 80), 'other sources are not');
  });
});
