import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgentModuleContext, NewEvent, PlatformSettings } from '@bulwark/protocol';
import type { DevicecontrolConfiguration, DevicePolicy } from '../engine/index.js';
import { createDevicecontrolAgent } from './devicecontrol-agent-module.js';
import {
  addFixtureDevice,
  addRootHub,
  type FixtureDevice,
  fixtureDevpath,
  plugMessages,
  removeFixtureDevice,
  SyntheticUeventSource,
  unplugMessages,
} from './sysfs-fixture.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

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
const dongle: FixtureDevice = {
  busId: '1-3',
  vendorId: '0b95',
  productId: '1790',
  interfaces: [[0xff, 0xff, 0]],
  net: ['enx001122334455'],
};

const policy = (over: Partial<DevicePolicy> = {}): DevicePolicy => ({
  massStorage: 'block',
  cdDvd: 'read-only',
  networkAdapter: 'block',
  wireless: 'block',
  humanInterface: 'full',
  other: 'full',
  exceptions: [],
  ...over,
});
const configuration = (p: DevicePolicy, reportAttached = true) => ({
  enabled: true,
  configuration: { policy: p, reportAttached } satisfies DevicecontrolConfiguration,
});
const platform = {} as PlatformSettings;

function setup(devices: FixtureDevice[] = []) {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-sysfs-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-devicecontrol-'));
  dirs.push(root, dataDir);
  addRootHub(root);
  for (const d of devices) addFixtureDevice(root, d);
  const events: NewEvent[] = [];
  const source = new SyntheticUeventSource();
  const context: AgentModuleContext = {
    dataDir,
    log: { info() {}, warn() {}, error() {} },
    emit: (e) => events.push(e),
    reportInventory() {},
    writeStateFile: (name, content) => writeFileSync(join(dataDir, name), content),
  };
  const paths = { sysfsRoot: root, devRoot: join(root, 'dev'), mountinfoPath: '/proc/self/mountinfo' };
  const make = () => createDevicecontrolAgent(context, { paths, ueventSource: source });
  return {
    root,
    events,
    source,
    module: make(),
    make,
    authorized: (d: FixtureDevice) => readFileSync(join(root, fixtureDevpath(d.busId), 'authorized'), 'utf8').trim(),
  };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('devices present at apply are evaluated: storage and network adapter deauthorized, the keyboard let through', async () => {
  const t = setup([stick, keyboard, dongle]);
  await t.module.apply(configuration(policy()), platform);
  assert.equal(t.module.status().state, 'on');
  assert.equal(t.authorized(stick), '0');
  assert.equal(t.authorized(dongle), '0');
  assert.equal(t.authorized(keyboard), '1');
  const blocked = t.events.filter((e) => e.type === 'device-blocked');
  assert.deepEqual(blocked.map((e) => e.details?.busId).sort(), ['1-1', '1-3']);
  const s = blocked.find((e) => e.details?.busId === '1-1');
  assert.equal(s?.action, 'Block');
  assert.deepEqual([s?.details?.vendorId, s?.details?.productId, s?.details?.serial], ['0781', '5567', stick.serial]);
  assert.match(s?.summary ?? '', /SanDisk Cruzer Blade \(0781:5567 serial 4C53.*\) at 1-1 blocked/);
  assert.deepEqual(s?.details?.blockDevices, ['sdb']);
  assert.equal(t.events.find((e) => e.details?.busId === '1-2')?.type, 'device-attached');
  assert.equal(t.module.status().counters?.blocked, 2);
  // Applying the same configuration again changes nothing and reports nothing new.
  await t.module.apply(configuration(policy()), platform);
  assert.equal(t.events.length, 3);
  await t.module.stop();
});

test('exceptions by vendor, product and serial are honoured; others of the class are blocked', async () => {
  const twin: FixtureDevice = { ...stick, busId: '1-4', serial: 'OTHER0001', block: { name: 'sdc', dev: '8:32' } };
  const t = setup([stick, twin]);
  await t.module.apply(
    configuration(
      policy({
        exceptions: [
          { source: 'computer', vendorId: '0781', productId: '5567', serial: '4C53*', access: 'full', note: 'backup' },
        ],
      }),
    ),
    platform,
  );
  assert.equal(t.authorized(stick), '1');
  assert.equal(t.authorized(twin), '0');
  const allowed = t.events.find((e) => e.details?.busId === '1-1');
  assert.equal(allowed?.type, 'device-attached');
  assert.match(
    String(allowed?.details?.reason),
    /computer exception for vendor 0781 product 5567 serial 4C53\* \(backup\)/,
  );
  await t.module.stop();
});

test('a device plugged in later is blocked on its uevents, reported once; unplugged and plugged again, reported again', async () => {
  const t = setup([]);
  await t.module.apply(configuration(policy(), false), platform);
  assert.equal(t.source.isOpen, true);
  addFixtureDevice(t.root, stick);
  t.source.push(plugMessages(stick));
  await waitFor(() => t.authorized(stick) === '0', 'the stick deauthorized');
  await waitFor(
    () => (t.module.status().counters?.uevents ?? 0) === plugMessages(stick).length,
    'every uevent handled',
  );
  await t.module.run?.('list-devices', {});
  assert.equal(t.events.filter((e) => e.type === 'device-blocked').length, 1);
  removeFixtureDevice(t.root, stick.busId);
  t.source.push(unplugMessages(stick));
  addFixtureDevice(t.root, stick);
  t.source.push(plugMessages(stick));
  await waitFor(() => t.events.filter((e) => e.type === 'device-blocked').length === 2, 'a second blocked event');
  await t.module.stop();
  assert.equal(t.source.isOpen, false);
});

test('a policy that allows a device it blocked gives the device back', async () => {
  const t = setup([stick]);
  await t.module.apply(configuration(policy()), platform);
  assert.equal(t.authorized(stick), '0');
  await t.module.apply(configuration(policy({ massStorage: 'full' })), platform);
  assert.equal(t.authorized(stick), '1');
  assert.deepEqual(
    t.events.map((e) => e.type),
    ['device-blocked', 'device-attached'],
  );
  assert.equal(t.module.status().counters?.blocked, 0);
  await t.module.stop();
});

test('garbage uevents are refused and counted; an overrun makes every device be looked at again', async () => {
  const t = setup([]);
  await t.module.apply(configuration(policy()), platform);
  t.source.push([new TextEncoder().encode('nonsense'), new Uint8Array([0, 1, 2])]);
  assert.equal(t.module.status().counters?.ueventsRefused, 2);
  addFixtureDevice(t.root, dongle);
  t.source.overrun();
  await waitFor(() => t.authorized(dongle) === '0', 'the adapter blocked after the overrun');
  assert.equal(t.module.status().counters?.overruns, 1);
  await t.module.stop();
});

test('a refused configuration keeps the previous one; list-devices answers with each decision', async () => {
  const t = setup([stick, keyboard]);
  await t.module.apply(configuration(policy()), platform);
  await t.module.apply({ enabled: true, configuration: { policy: { massStorage: 'maybe' } } }, platform);
  assert.equal(t.module.status().state, 'error');
  assert.match(t.module.status().reason ?? '', /previous one stays in force/);
  const listed = (await t.module.run?.('list-devices', {})) as {
    devices: { busId: string; access: string; classes: string[]; authorized: boolean }[];
  };
  assert.deepEqual(
    listed.devices.map((d) => [d.busId, d.access, d.classes.join(','), d.authorized]),
    [
      ['1-1', 'block', 'mass-storage', false],
      ['1-2', 'full', 'human-interface', true],
    ],
  );
  await assert.rejects(t.module.run?.('nosuch', {}) ?? Promise.reject(new Error('no run')), /no command "nosuch"/);
  await t.module.stop();
});

test('read-only that cannot be carried out is an enforcement failure, not silence', async () => {
  const t = setup([stick]);
  await t.module.apply(configuration(policy({ massStorage: 'read-only' })), platform);
  const failed = t.events.find((e) => e.type === 'enforcement-failed');
  assert.equal(failed?.severity, 'high');
  assert.equal(failed?.action, 'Failed: Read-only');
  assert.match(String((failed?.details?.failures as string[] | undefined)?.[0]), /blockdev --setro .*sdb/);
  assert.equal(t.module.status().counters?.enforcementFailures, 1);
  await t.module.stop();
});

test('what was blocked is remembered across restarts and given back by removeFromHost', async () => {
  const t = setup([stick]);
  await t.module.apply(configuration(policy()), platform);
  await t.module.stop();
  const fresh = t.make();
  assert.deepEqual(fresh.kernelHooks?.(), [`USB devices deauthorized (authorized=0): ${fixtureDevpath(stick.busId)}`]);
  await fresh.removeFromHost?.();
  assert.equal(t.authorized(stick), '1');
  assert.deepEqual(fresh.kernelHooks?.(), []);
});

test('holding new devices: the hubs wait for the decision; an allowed device is authorized, a blocked one stays held', async () => {
  const t = setup([]);
  const hub = join(t.root, 'devices/pci0000:00/0000:00:14.0/usb1/authorized_default');
  await t.module.apply(
    { enabled: true, configuration: { policy: policy(), reportAttached: true, holdNewDevices: true } },
    platform,
  );
  assert.equal(readFileSync(hub, 'utf8').trim(), '0');
  assert.match(
    t.module.kernelHooks?.().join('\n') ?? '',
    /authorized_default=0\) on \/devices\/pci0000:00\/0000:00:14.0\/usb1/,
  );
  const heldStick = { ...stick, held: true };
  const heldKeyboard = { ...keyboard, held: true };
  addFixtureDevice(t.root, heldStick);
  addFixtureDevice(t.root, heldKeyboard);
  t.source.push([...plugMessages(heldStick), ...plugMessages(heldKeyboard)]);
  await waitFor(() => t.authorized(keyboard) === '1', 'the keyboard authorized');
  await waitFor(() => t.events.length === 2, 'two events');
  assert.equal(t.authorized(stick), '0');
  assert.deepEqual(t.events.map((e) => [e.type, e.details?.busId, String(e.details?.classes)]).sort(), [
    ['device-attached', '1-2', 'human-interface'],
    ['device-blocked', '1-1', 'mass-storage'],
  ]);
  // Holding off: the hubs configure new devices again; the stick held for the policy is still blocked, and given back once allowed.
  await t.module.apply({ enabled: true, configuration: { policy: policy(), reportAttached: true } }, platform);
  assert.equal(readFileSync(hub, 'utf8').trim(), '1');
  assert.equal(t.authorized(stick), '0');
  await t.module.apply(
    { enabled: true, configuration: { policy: policy({ massStorage: 'full' }), reportAttached: true } },
    platform,
  );
  assert.equal(t.authorized(stick), '1');
  await t.module.stop();
});

test('removeFromHost stops holding new devices', async () => {
  const t = setup([]);
  const hub = join(t.root, 'devices/pci0000:00/0000:00:14.0/usb1/authorized_default');
  await t.module.apply(
    { enabled: true, configuration: { policy: policy(), reportAttached: true, holdNewDevices: true } },
    platform,
  );
  await t.module.stop();
  assert.equal(
    readFileSync(hub, 'utf8').trim(),
    '0',
    'stop leaves the hold in force, as the contract wants of hooks that outlive the process',
  );
  await t.make().removeFromHost?.();
  assert.equal(readFileSync(hub, 'utf8').trim(), '1');
});
