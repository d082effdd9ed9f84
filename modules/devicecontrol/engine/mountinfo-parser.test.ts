import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseMountinfo } from './mountinfo-parser.js';

test('mounts with their device number, options and escaped paths', () => {
  const parsed = parseMountinfo(
    [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
      '95 22 7:3 / /mnt/usb\\040stick ro,nosuid master:3 - vfat /dev/loop3 ro,fmask=0022',
      '',
    ].join('\n'),
  );
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value[1], {
    dev: '7:3',
    mountPoint: '/mnt/usb stick',
    readOnly: true,
    fsType: 'vfat',
    source: '/dev/loop3',
  });
  assert.equal(parsed.value[0]?.readOnly, false);
  assert.equal(parseMountinfo('22 1 8:1 / /\n').ok, false);
  assert.equal(parseMountinfo('22 1 x / / rw - ext4 /dev/sda1 rw\n').ok, false);
});

test('garbage never throws; what parses names a device number', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ maxLength: 60 }), fc.constant('1 2 3:4 / /m rw - ext4 /dev/x rw')), {
        maxLength: 5,
      }),
      (lines) => {
        const parsed = parseMountinfo(lines.join('\n'));
        if (parsed.ok) for (const e of parsed.value) assert.match(e.dev, /^\d+:\d+$/);
      },
    ),
  );
});
