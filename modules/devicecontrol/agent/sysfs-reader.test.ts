import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { addFixtureDevice, addRootHub, type FixtureDevice, fixtureDevpath } from './sysfs-fixture.js';
import { listUsbDevicePaths, readUsbDevice } from './sysfs-reader.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const stick: FixtureDevice = {
  busId: '1-1.4',
  vendorId: '0781',
  productId: '5567',
  serial: '4C53',
  interfaces: [
    [8, 6, 80],
    [3, 0, 0],
  ],
  block: { name: 'sdb', dev: '8:16', partitions: [{ name: 'sdb1', dev: '8:17' }] },
};

test('a device behind a hub with its interfaces, disk and partitions; root hubs and interfaces are not devices', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-sysfs-reader-'));
  dirs.push(root);
  addRootHub(root);
  addFixtureDevice(root, {
    busId: '1-1',
    vendorId: '05e3',
    productId: '0610',
    deviceClass: 9,
    interfaces: [[9, 0, 0]],
  });
  addFixtureDevice(root, stick);
  const paths = await listUsbDevicePaths(root);
  assert.deepEqual(paths, { ok: true, value: [fixtureDevpath('1-1'), fixtureDevpath('1-1.4')] });
  const hub = await readUsbDevice(root, fixtureDevpath('1-1'));
  assert.ok(hub.ok);
  assert.deepEqual(hub.value.blockDevices, [], 'the hub does not own the disk of the device behind it');
  const read = await readUsbDevice(root, fixtureDevpath('1-1.4'));
  assert.ok(read.ok);
  assert.deepEqual(
    read.value.interfaces.map((i) => i.class),
    [8, 3],
  );
  assert.deepEqual(read.value.blockDevices, [
    {
      name: 'sdb',
      dev: '8:16',
      cdrom: false,
      readOnly: false,
      partitions: [{ name: 'sdb1', dev: '8:17', readOnly: false }],
    },
  ]);
  assert.deepEqual(await readUsbDevice(root, '/devices/pci0000:00/0000:00:14.0/usb1/1-9'), {
    ok: false,
    reason: '/devices/pci0000:00/0000:00:14.0/usb1/1-9: not in the sysfs tree',
    gone: true,
  });
});

test('garbage in attribute files never throws: the device is read with what is valid, or refused with the reason', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-sysfs-garbage-'));
  dirs.push(root);
  addRootHub(root);
  const devpath = addFixtureDevice(root, { ...stick, busId: '1-2' });
  const dir = join(root, devpath);
  const files = [
    'idVendor',
    'idProduct',
    'serial',
    'bDeviceClass',
    'authorized',
    'descriptors',
    '1-2:1.0/bInterfaceClass',
    '1-2:1.0/host6/target6:0:0/6:0:0:0/block/sdb/dev',
    '1-2:1.0/host6/target6:0:0/6:0:0:0/block/sdb/ro',
  ];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...files), fc.uint8Array({ maxLength: 64 }), async (file, bytes) => {
      writeFileSync(join(dir, file), bytes);
      const read = await readUsbDevice(root, devpath);
      if (read.ok) {
        assert.match(read.value.vendorId, /^[0-9a-f]{4}$/);
        for (const b of read.value.blockDevices) assert.match(b.dev, /^\d+:\d+$/);
      } else assert.match(read.reason, /idVendor\/idProduct unreadable/);
    }),
    { numRuns: 60 },
  );
});
