/**
 * The read-only path for real: a loop device stands in for the USB stick's disk (this machine has
 * no USB bus), formatted ext4 and mounted. The sysfs tree is the fixture's, with the loop device as
 * the stick's block device (its real MAJOR:MINOR), so the module sets the real device's read-only
 * flag (BLKROSET through blockdev), remounts the real mount read-only, and gives both back.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgentModuleContext, NewEvent, PlatformSettings } from '@bulwark/protocol';
import { createDevicecontrolAgent } from '../../modules/devicecontrol/agent/devicecontrol-agent-module.js';
import {
  addFixtureDevice,
  addRootHub,
  type FixtureDevice,
  plugMessages,
  SyntheticUeventSource,
} from '../../modules/devicecontrol/agent/sysfs-fixture.js';
import type { DevicePolicy } from '../../modules/devicecontrol/engine/index.js';
import { missing, onPath } from '../kernel/netns-lab.js';

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux: loop devices';
  if (process.getuid?.() !== 0) return 'needs root: losetup, mount';
  for (const tool of ['losetup', 'blockdev', 'mkfs.ext4', 'mount', 'umount'])
    if (!onPath(tool, process.env)) return missing(`${tool} must be installed in CI`, `needs ${tool} on the PATH`);
  if (!existsSync('/dev/loop-control'))
    return missing('CI must offer loop devices', 'no loop devices (/dev/loop-control)');
  return undefined;
}
const skip = skipReason();
if (skip) console.log(`# skipping the read-only tests on loop devices: ${skip}`);

const work = skip ? '' : mkdtempSync(join(tmpdir(), 'bulwark-devicecontrol-loop-'));
const loops: string[] = [];
const mounts: string[] = [];

/** A fresh ext4 loop device; its /dev name and MAJOR:MINOR. */
function makeLoop(tag: string): { name: string; dev: string } {
  const image = join(work, `${tag}.img`);
  writeFileSync(image, Buffer.alloc(0));
  execFileSync('truncate', ['-s', '16M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  const device = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
  loops.push(device);
  const name = device.replace('/dev/', '');
  return { name, dev: readFileSync(`/sys/class/block/${name}/dev`, 'utf8').trim() };
}

function mountLoop(name: string, tag: string): string {
  const mountPoint = join(work, `mnt-${tag}`);
  mkdirSync(mountPoint, { recursive: true });
  // mount(8) falls back to read-only by itself when the device's flag is set: stderr says so.
  execFileSync('mount', ['-t', 'ext4', `/dev/${name}`, mountPoint], { stdio: 'pipe' });
  mounts.push(mountPoint);
  return mountPoint;
}

const getro = (name: string) => execFileSync('blockdev', ['--getro', `/dev/${name}`], { encoding: 'utf8' }).trim();
const mountedReadOnly = (mountPoint: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === mountPoint)
    ?.split(' ')[5]
    ?.split(',')
    .includes('ro');

function writeRefused(mountPoint: string): string | null {
  try {
    writeFileSync(join(mountPoint, `probe-${Date.now()}`), 'data');
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

after(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  for (const l of loops) {
    spawnSync('blockdev', ['--setrw', l]);
    spawnSync('losetup', ['-d', l]);
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

const policy = (massStorage: DevicePolicy['massStorage']): DevicePolicy => ({
  massStorage,
  cdDvd: 'read-only',
  networkAdapter: 'block',
  wireless: 'block',
  humanInterface: 'full',
  other: 'full',
  exceptions: [],
});

function harness(tag: string) {
  const root = join(work, `sysfs-${tag}`);
  const dataDir = join(work, `data-${tag}`);
  mkdirSync(dataDir, { recursive: true });
  addRootHub(root);
  const events: NewEvent[] = [];
  const source = new SyntheticUeventSource();
  const context: AgentModuleContext = {
    dataDir,
    log: { info() {}, warn() {}, error() {} },
    emit: (e) => events.push(e),
    reportInventory() {},
    writeStateFile: (name, content) => writeFileSync(join(dataDir, name), content),
  };
  const module = createDevicecontrolAgent(context, {
    paths: { sysfsRoot: root, devRoot: '/dev', mountinfoPath: '/proc/self/mountinfo' },
    ueventSource: source,
  });
  return { root, events, source, module };
}

const stickOn = (name: string, dev: string, busId: string): FixtureDevice => ({
  busId,
  vendorId: '0781',
  productId: '5567',
  serial: `LOOP${busId}`,
  product: 'Cruzer Blade',
  interfaces: [[8, 6, 80]],
  block: { name, dev },
});
const platform = {} as PlatformSettings;

test('read-only: the mounted stick is remounted read-only and its flag set; writes are refused; full access gives both back', {
  skip,
}, async () => {
  const loop = makeLoop('a');
  const mountPoint = mountLoop(loop.name, 'a');
  assert.equal(writeRefused(mountPoint), null, 'writable before');
  const t = harness('a');
  addFixtureDevice(t.root, stickOn(loop.name, loop.dev, '1-1'));

  await t.module.apply(
    { enabled: true, configuration: { policy: policy('read-only'), reportAttached: true } },
    platform,
  );
  assert.equal(getro(loop.name), '1');
  assert.equal(mountedReadOnly(mountPoint), true);
  assert.ok(['EROFS', 'EACCES'].includes(writeRefused(mountPoint) ?? ''), 'a write is refused');
  const limited = t.events.find((e) => e.type === 'device-limited');
  assert.equal(limited?.action, 'Read-only');
  assert.deepEqual(limited?.details?.readOnlyDevices, [loop.name]);
  assert.deepEqual(limited?.details?.remounted, [mountPoint]);
  assert.equal(t.module.status().counters?.readOnly, 1);

  await t.module.apply({ enabled: true, configuration: { policy: policy('full'), reportAttached: true } }, platform);
  assert.equal(getro(loop.name), '0');
  assert.equal(mountedReadOnly(mountPoint), false);
  assert.equal(writeRefused(mountPoint), null, 'writable again');
  assert.equal(t.events.at(-1)?.type, 'device-attached');
  assert.equal(t.module.status().counters?.readOnly, 0);
  await t.module.stop();
});

test('read-only for a stick plugged in later: the flag is set on its uevents, so a later mount is read-only', {
  skip,
}, async () => {
  const loop = makeLoop('b');
  const t = harness('b');
  await t.module.apply(
    { enabled: true, configuration: { policy: policy('read-only'), reportAttached: false } },
    platform,
  );
  const stick = stickOn(loop.name, loop.dev, '1-2');
  addFixtureDevice(t.root, stick);
  t.source.push(plugMessages(stick));
  const deadline = Date.now() + 10_000;
  while (getro(loop.name) !== '1') {
    if (Date.now() > deadline) throw new Error('timed out waiting for the read-only flag');
    await new Promise((r) => setTimeout(r, 20));
  }
  const mountPoint = mountLoop(loop.name, 'b');
  assert.equal(mountedReadOnly(mountPoint), true);
  assert.ok(['EROFS', 'EACCES'].includes(writeRefused(mountPoint) ?? ''), 'a write is refused');
  await t.module.run?.('list-devices', {});
  while (t.events.length === 0) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the device-limited event');
    await new Promise((r) => setTimeout(r, 20));
  }
  await t.module.stop();
  assert.deepEqual(
    t.events.map((e) => [e.type, e.details?.readOnlyDevices]),
    [['device-limited', [loop.name]]],
  );
});
