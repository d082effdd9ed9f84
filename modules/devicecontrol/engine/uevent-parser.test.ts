import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_UEVENT_KEYS, parseUeventFile, parseUeventMessage } from './uevent-parser.js';

const message = (...parts: string[]): Uint8Array => new TextEncoder().encode(`${parts.join('\0')}\0`);

test('a kernel uevent for a USB interface: action, devpath and variables', () => {
  const parsed = parseUeventMessage(
    message(
      'add@/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0',
      'ACTION=add',
      'DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0',
      'SUBSYSTEM=usb',
      'DEVTYPE=usb_interface',
      'PRODUCT=781/5567/100',
      'INTERFACE=8/6/80',
      'SEQNUM=4242',
    ),
  );
  assert.ok(parsed.ok);
  assert.equal(parsed.value.action, 'add');
  assert.equal(parsed.value.devpath, '/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0');
  assert.equal(parsed.value.properties.INTERFACE, '8/6/80');
  assert.equal(parsed.value.properties.SEQNUM, '4242');
});

test('what is not a kernel uevent is refused with its reason', () => {
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(0), 'empty'],
    [message('libudev', 'x'), 'not-kernel'],
    [message('add/devices/x'), 'bad-header'],
    [message('plug@/devices/x'), 'unknown-action'],
    [message('add@/etc/passwd'), 'bad-devpath'],
    [message('add@/devices/../../etc'), 'bad-devpath'],
    [message('add@/devices/x', 'NOEQUALS'), 'bad-variable'],
    [message('add@/devices/x', 'BAD KEY=1'), 'bad-variable'],
    [message('add@/devices/x', 'A=1', 'A=2'), 'duplicate-variable'],
    [message('add@/devices/x', 'ACTION=remove'), 'inconsistent'],
    [message('add@/devices/x', 'DEVPATH=/devices/y'), 'inconsistent'],
    [
      message('add@/devices/x', ...Array.from({ length: MAX_UEVENT_KEYS + 1 }, (_, i) => `K${i}=v`)),
      'too-many-variables',
    ],
    [new Uint8Array(9000).fill(65), 'too-long'],
  ];
  for (const [bytes, code] of cases) {
    const parsed = parseUeventMessage(bytes);
    assert.equal(parsed.ok, false, code);
    if (!parsed.ok) assert.equal(parsed.error.code, code);
  }
});

test('a sysfs uevent file', () => {
  const parsed = parseUeventFile('MAJOR=8\nMINOR=16\nDEVNAME=sdb\nDEVTYPE=disk\n');
  assert.deepEqual(parsed, { ok: true, value: { MAJOR: '8', MINOR: '16', DEVNAME: 'sdb', DEVTYPE: 'disk' } });
  const bad = parseUeventFile('MAJOR=8\n=x\n');
  assert.ok(!bad.ok && bad.error.at === 2);
});

test('garbage never throws; what parses has a devpath under /devices and consistent variables', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const parsed = parseUeventMessage(bytes);
      if (parsed.ok) assert.ok(parsed.value.devpath.startsWith('/devices'));
    }),
  );
  const part = fc.oneof(
    fc.constantFrom('ACTION=add', 'SUBSYSTEM=usb', 'DEVTYPE=usb_device', 'PRODUCT=1/2/3', '', '=', 'X=\u00ff'),
    fc.string({ maxLength: 20 }),
  );
  fc.assert(
    fc.property(
      fc.constantFrom('add@/devices/a', 'remove@/devices/b/c', 'x@y', '@'),
      fc.array(part, { maxLength: 80 }),
      (head, parts) => {
        const parsed = parseUeventMessage(message(head, ...parts));
        if (parsed.ok) {
          assert.ok(Object.keys(parsed.value.properties).length <= MAX_UEVENT_KEYS);
          if (parsed.value.properties.ACTION !== undefined)
            assert.equal(parsed.value.properties.ACTION, parsed.value.action);
        }
      },
    ),
  );
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => void parseUeventFile(text)));
});

test('the USB device a devpath belongs to', async () => {
  const { usbDevicePathOf } = await import('./usb-path.js');
  const dev = '/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4';
  assert.equal(usbDevicePathOf(`${dev}/2-1.4:1.0/host3/target3:0:0/3:0:0:0/block/sdc/sdc1`), dev);
  assert.equal(usbDevicePathOf(dev), dev);
  assert.equal(usbDevicePathOf('/devices/pci0000:00/0000:00:14.0/usb2'), null);
  assert.equal(usbDevicePathOf('/devices/virtual/block/loop0'), null);
});
