// Device control through the platform: the real manager compiles the module's settings from a
// policy (class settings) and a computer (its own exceptions); the real bulwark-agent applies them,
// enforces on a sysfs tree laid out as the kernel does (the agent's local option
// devicecontrol.sysfsRoot points at it: this machine has no USB bus), reports its status in the
// heartbeat and its events to the manager; `bulwark computers devices --json` lists what is attached.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  addFixtureDevice,
  addRootHub,
  type FixtureDevice,
  fixtureDevpath,
} from '../../modules/devicecontrol/agent/sysfs-fixture.js';
import { startTestManager, type TestManager } from '../manager/manager-harness.js';
import { activateAndRunAgent, eventually, policyWithOnly, SYSTEM } from '../manager/real-agent-process.js';

const cliBin = new URL('../../packages/platform-manager/bin/bulwark.js', import.meta.url).pathname;

const stick: FixtureDevice = {
  busId: '1-1',
  vendorId: '0781',
  productId: '5567',
  serial: '4C530001230914115412',
  manufacturer: 'SanDisk',
  product: 'Cruzer Blade',
  interfaces: [[8, 6, 80]],
  block: { name: 'sdb', dev: '8:16', partitions: [{ name: 'sdb1', dev: '8:17' }] },
};
const keyboard: FixtureDevice = {
  busId: '1-2',
  vendorId: '046d',
  productId: 'c31c',
  product: 'USB Keyboard',
  interfaces: [[3, 1, 1]],
};

describe('device control through the platform', () => {
  let t: TestManager;
  let work: string;
  let sysfs: string;
  let agent: ChildProcess | null = null;
  let output = () => '';
  let computerId = '';
  const previousConfig = process.env.BULWARK_AGENT_CONFIG;

  const authorized = (d: FixtureDevice) =>
    readFileSync(join(sysfs, fixtureDevpath(d.busId), 'authorized'), 'utf8').trim();
  const events = async () => {
    const page = await t.manager.services.events.query({ computerId, limit: 100 });
    assert.ok(page.ok);
    return page.value.items.filter((e) => e.module === 'devicecontrol');
  };
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [cliBin, ...args],
        {
          env: {
            PATH: process.env.PATH ?? '',
            BULWARK_MANAGER: t.manager.consoleUrl,
            BULWARK_API_KEY: t.keys.operator,
            BULWARK_CA: join(t.dataDir, 'pki', 'ca.crt'),
          },
          timeout: 120_000,
        },
        (error, stdout, stderr) =>
          done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'bulwark-devicecontrol-platform-'));
    sysfs = join(work, 'sys');
    addRootHub(sysfs);
    addFixtureDevice(sysfs, stick);
    addFixtureDevice(sysfs, keyboard);
    const conf = join(work, 'agent.conf');
    writeFileSync(conf, `devicecontrol.sysfsRoot = ${sysfs}\n`, { mode: 0o600 });
    process.env.BULWARK_AGENT_CONFIG = conf;

    t = await startTestManager();
    const { services } = t.manager;
    const target = await policyWithOnly(t, 'devicecontrol', 'Device control test');
    for (const [key, value] of [
      ['devicecontrol.enabled', true],
      ['devicecontrol.massStorage', 'block'],
      ['devicecontrol.exceptions', [{ vendorId: '0781', productId: 'ffff', access: 'full', note: 'another model' }]],
    ] as const) {
      const set = await services.settings.set(target, key, value, SYSTEM);
      assert.ok(set.ok, `${key}: ${set.ok ? '' : set.error.message}`);
    }
    const refused = await services.settings.set(
      target,
      'devicecontrol.exceptions',
      [{ vendorId: '*', access: 'full' }],
      SYSTEM,
    );
    assert.equal(refused.ok, false, 'an exception for every vendor without a serial is refused at the API');
    const started = await activateAndRunAgent(t, target.id, join(work, 'agent'));
    computerId = started.computerId;
    agent = started.process;
    output = started.output;
  });
  after(async () => {
    agent?.kill('SIGKILL');
    await t?.close();
    if (previousConfig === undefined) delete process.env.BULWARK_AGENT_CONFIG;
    else process.env.BULWARK_AGENT_CONFIG = previousConfig;
    rmSync(work, { recursive: true, force: true });
  });

  test('the policy blocks the stick on the host; status and the blocked event reach the manager', async () => {
    const blocked = await eventually(
      events,
      (list) => list.some((e) => e.type === 'device-blocked'),
      90_000,
      `the device-blocked event (agent output:\n${output().slice(-3000)})`,
    );
    assert.equal(authorized(stick), '0');
    assert.equal(authorized(keyboard), '1');
    const event = blocked.find((e) => e.type === 'device-blocked');
    assert.equal(event?.action, 'Block');
    assert.deepEqual(
      [event?.details?.vendorId, event?.details?.productId, event?.details?.serial],
      ['0781', '5567', stick.serial],
    );
    const computer = await eventually(
      async () => t.manager.services.computers.get(computerId),
      (c) => c.ok && c.value.modules.some((m) => m.id === 'devicecontrol' && m.state === 'on'),
      60_000,
      'the module on in the heartbeat',
    );
    assert.ok(computer.ok);
    const status = computer.value.modules.find((m) => m.id === 'devicecontrol');
    assert.equal(status?.counters?.blocked, 1);
  });

  test('an exception set on the computer gives the stick back; bulwark computers devices --json lists it', async () => {
    const set = await t.manager.services.settings.set(
      { kind: 'computer', id: computerId },
      'devicecontrol.computerExceptions',
      [{ vendorId: '0781', productId: '5567', serial: '4C53*', access: 'full', note: 'backup stick' }],
      SYSTEM,
    );
    assert.ok(set.ok, set.ok ? '' : set.error.message);
    await eventually(
      async () => authorized(stick),
      (a) => a === '1',
      90_000,
      `the stick authorized again (agent output:\n${output().slice(-3000)})`,
    );
    const attached = await eventually(
      events,
      (list) => list.some((e) => e.type === 'device-attached' && e.details?.busId === '1-1'),
      60_000,
      'the device-attached event',
    );
    assert.match(
      String(attached.find((e) => e.type === 'device-attached' && e.details?.busId === '1-1')?.details?.reason),
      /computer exception for vendor 0781 product 5567 serial 4C53\* \(backup stick\)/,
    );
    const listed = await cli(['computers', 'devices', computerId, '--wait', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const devices = (JSON.parse(listed.stdout).result?.devices ?? []) as {
      busId: string;
      access: string;
      serial?: string;
    }[];
    assert.deepEqual(
      devices.map((d) => [d.busId, d.access]),
      [
        ['1-1', 'full'],
        ['1-2', 'full'],
      ],
    );
  });
});
