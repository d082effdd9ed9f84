import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type DevicePolicy, decideDevice, serialPatternMatches } from './device-policy.js';
import { classifyDevice, type UsbDevice } from './usb-device.js';

const stick: UsbDevice = {
  busId: '1-1',
  devpath: '/devices/pci0000:00/0000:00:14.0/usb1/1-1',
  vendorId: '0781',
  productId: '5567',
  serial: '4C530001230914115412',
  manufacturer: 'SanDisk',
  product: 'Cruzer Blade',
  deviceClass: 0,
  interfaces: [{ number: 0, class: 8, subclass: 6, protocol: 80 }],
  blockDevices: [
    {
      name: 'sdb',
      dev: '8:16',
      cdrom: false,
      readOnly: false,
      partitions: [{ name: 'sdb1', dev: '8:17', readOnly: false }],
    },
  ],
  networkInterfaces: [],
  authorized: true,
};
const dongle: UsbDevice = {
  ...stick,
  busId: '1-2',
  vendorId: '0b95',
  productId: '1790',
  serial: undefined as never,
  interfaces: [{ number: 0, class: 0xff, subclass: 0xff, protocol: 0 }],
  blockDevices: [],
  networkInterfaces: ['enx001122334455'],
};
delete (dongle as { serial?: string }).serial;
const keyboard: UsbDevice = {
  ...dongle,
  busId: '1-3',
  interfaces: [{ number: 0, class: 3, subclass: 1, protocol: 1 }],
  networkInterfaces: [],
};
const cdDrive: UsbDevice = {
  ...stick,
  busId: '1-4',
  interfaces: [{ number: 0, class: 8, subclass: 2, protocol: 80 }],
  blockDevices: [{ name: 'sr0', dev: '11:0', cdrom: true, readOnly: true, partitions: [] }],
};
const phone: UsbDevice = {
  ...stick,
  busId: '1-5',
  interfaces: [...stick.interfaces, { number: 1, class: 0xe0, subclass: 1, protocol: 3 }],
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

test('classes from interfaces and from what the host made of the device', () => {
  assert.deepEqual(classifyDevice(stick), ['mass-storage']);
  assert.deepEqual(classifyDevice(dongle), ['network-adapter']);
  assert.deepEqual(classifyDevice(keyboard), ['human-interface']);
  assert.deepEqual(classifyDevice(cdDrive), ['cd-dvd']);
  assert.deepEqual(classifyDevice(phone), ['mass-storage', 'network-adapter']);
  assert.deepEqual(classifyDevice({ ...stick, interfaces: [], blockDevices: [] }), ['other']);
});

test('class settings decide, the strictest class of a composite device wins', () => {
  assert.equal(decideDevice(policy(), stick).access, 'block');
  assert.match(decideDevice(policy(), stick).reason, /USB mass storage are blocked by policy/);
  assert.equal(decideDevice(policy({ massStorage: 'read-only' }), stick).access, 'read-only');
  assert.equal(decideDevice(policy({ massStorage: 'full' }), stick).access, 'full');
  assert.equal(decideDevice(policy(), dongle).access, 'block');
  assert.equal(decideDevice(policy(), keyboard).access, 'full');
  assert.equal(decideDevice(policy({ massStorage: 'full' }), cdDrive).access, 'read-only');
  assert.equal(decideDevice(policy({ massStorage: 'read-only', networkAdapter: 'full' }), phone).access, 'read-only');
  assert.equal(decideDevice(policy({ massStorage: 'read-only' }), phone).access, 'block');
});

test('exceptions by vendor, product and serial; the first that matches wins, computer before policy', () => {
  const p = policy({
    exceptions: [
      {
        source: 'computer',
        vendorId: '0781',
        productId: '5567',
        serial: '4C53*',
        access: 'read-only',
        note: 'backup stick',
      },
      { source: 'policy', vendorId: '0781', access: 'full' },
    ],
  });
  const d = decideDevice(p, stick);
  assert.equal(d.access, 'read-only');
  assert.equal(d.exception?.source, 'computer');
  assert.match(d.reason, /computer exception for vendor 0781 product 5567 serial 4C53\* \(backup stick\)/);
  const other = decideDevice(p, { ...stick, serial: 'ZZZ' });
  assert.equal(other.access, 'full');
  assert.equal(other.exception?.source, 'policy');
  assert.equal(decideDevice(p, { ...stick, vendorId: '090c' }).access, 'block');
  // A serial pattern does not match a device without a serial.
  const noSerial = { ...stick };
  delete (noSerial as { serial?: string }).serial;
  assert.equal(
    decideDevice(
      policy({ exceptions: [{ source: 'policy', vendorId: '0781', serial: '*1', access: 'full' }] }),
      noSerial,
    ).access,
    'block',
  );
  assert.equal(
    decideDevice(
      policy({ exceptions: [{ source: 'policy', vendorId: '0781', productId: 'FFFF', access: 'full' }] }),
      stick,
    ).access,
    'block',
  );
});

test('serial patterns: * and ? only, everything else literal', () => {
  assert.ok(serialPatternMatches('AB*', 'ABC'));
  assert.ok(serialPatternMatches('A?C', 'ABC'));
  assert.ok(serialPatternMatches('*', ''));
  assert.ok(serialPatternMatches('a*b*c', 'axxbyyc'));
  assert.ok(!serialPatternMatches('abc', 'ABC'));
  assert.ok(!serialPatternMatches('A.C', 'ABC'));
  assert.ok(!serialPatternMatches('a*b', 'aXbX'));
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b, c) => {
      const literal = (s: string) => s.replace(/[*?]/g, '');
      assert.ok(serialPatternMatches(`${literal(a)}*${literal(c)}`, `${literal(a)}${b}${literal(c)}`));
      assert.equal(serialPatternMatches(literal(a), literal(b)), literal(a) === literal(b));
    }),
  );
});

test('any device under any policy gets a decision with a reason; exceptions decide before classes', () => {
  const access = fc.constantFrom('full' as const, 'read-only' as const, 'block' as const);
  const allowOrBlock = fc.constantFrom('full' as const, 'block' as const);
  const hex4 = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16).padStart(4, '0'));
  const byte = fc.integer({ min: 0, max: 255 });
  const device = fc.record({
    vendorId: hex4,
    productId: hex4,
    serial: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    deviceClass: byte,
    interfaces: fc.array(fc.record({ number: byte, class: byte, subclass: byte, protocol: byte }), { maxLength: 5 }),
    cdrom: fc.option(fc.boolean(), { nil: undefined }),
    net: fc.boolean(),
  });
  const exception = fc.record({
    source: fc.constantFrom('computer' as const, 'policy' as const),
    vendorId: fc.oneof(hex4, fc.constant('*')),
    productId: fc.oneof(hex4, fc.constant('*')),
    serial: fc.string({ minLength: 1, maxLength: 12 }),
    access,
  });
  fc.assert(
    fc.property(device, fc.array(exception, { maxLength: 4 }), access, allowOrBlock, (d, exceptions, storage, net) => {
      const usb: UsbDevice = {
        ...stick,
        vendorId: d.vendorId,
        productId: d.productId,
        deviceClass: d.deviceClass,
        interfaces: d.interfaces,
        blockDevices:
          d.cdrom === undefined
            ? []
            : [{ name: d.cdrom ? 'sr0' : 'sdb', dev: '8:16', cdrom: d.cdrom, readOnly: false, partitions: [] }],
        networkInterfaces: d.net ? ['usb0'] : [],
      };
      if (d.serial === undefined) delete (usb as { serial?: string }).serial;
      else usb.serial = d.serial;
      const decision = decideDevice(policy({ massStorage: storage, networkAdapter: net, exceptions }), usb);
      assert.ok(decision.reason.length > 0);
      assert.ok(decision.classes.length > 0);
      const first = exceptions.find((e) => decision.exception === e);
      if (decision.exception !== null) assert.equal(decision.access, first?.access);
      if (decision.exception === null && decision.classes.includes('network-adapter'))
        assert.ok(net === 'full' || decision.access === 'block');
    }),
  );
});
