import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_INTERFACES, parseUsbDescriptors } from './usb-descriptors.js';

/** A device descriptor (vendor 0781, product 5567, class 0) and one configuration with the given interfaces. */
export function descriptors(interfaces: [number, number, number][]): Uint8Array {
  const device = [18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x81, 0x07, 0x67, 0x55, 0x00, 0x01, 1, 2, 3, 1];
  const body: number[] = [];
  interfaces.forEach(([c, s, p], n) => {
    body.push(9, 4, n, 0, 2, c, s, p, 0); // interface
    body.push(7, 5, 0x81, 2, 0, 2, 0); // endpoint
  });
  const total = 9 + body.length;
  const config = [9, 2, total & 0xff, total >> 8, interfaces.length, 1, 0, 0x80, 50];
  return new Uint8Array([...device, ...config, ...body]);
}

test('ids, device class and interfaces from a descriptors file', () => {
  const parsed = parseUsbDescriptors(
    descriptors([
      [8, 6, 80],
      [3, 1, 1],
    ]),
  );
  assert.ok(parsed.ok);
  assert.equal(parsed.value.vendorId, '0781');
  assert.equal(parsed.value.productId, '5567');
  assert.deepEqual(
    parsed.value.interfaces.map((i) => [i.number, i.class, i.subclass, i.protocol]),
    [
      [0, 8, 6, 80],
      [1, 3, 1, 1],
    ],
  );
});

test('lengths that do not fit are refused', () => {
  const good = descriptors([[8, 6, 80]]);
  assert.equal(parseUsbDescriptors(good.slice(0, 10)).ok, false);
  const cut = parseUsbDescriptors(good.slice(0, good.length - 3));
  assert.ok(!cut.ok && cut.error.code === 'bad-length');
  const zero = good.slice();
  zero[18] = 0;
  assert.ok(!parseUsbDescriptors(zero).ok);
  const many = descriptors(
    Array.from({ length: MAX_INTERFACES + 1 }, () => [3, 0, 0] as [number, number, number]).map((x, i) => [
      x[0],
      i % 256,
      0,
    ]),
  );
  assert.ok(!parseUsbDescriptors(many).ok);
});

test('garbage never throws; what parses has interfaces within the limit', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
      const bytes = new Uint8Array([...descriptors([]).slice(0, 18), ...tail]);
      const parsed = parseUsbDescriptors(bytes);
      if (parsed.ok) assert.ok(parsed.value.interfaces.length <= MAX_INTERFACES);
      parseUsbDescriptors(tail);
    }),
  );
});
