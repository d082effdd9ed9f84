import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  MAX_DEVICE_STRING_CHARS,
  parseClassCode,
  parseDeviceNumber,
  parseDeviceString,
  parseFlag,
  parseUeventInterface,
  parseUeventProduct,
  parseUsbId,
  replaceControlCharacters,
} from './sysfs-values.js';

test('attribute values as the kernel prints them', () => {
  assert.deepEqual(parseUsbId('0781\n'), { ok: true, value: '0781' });
  assert.deepEqual(parseUsbId('ABCD'), { ok: true, value: 'abcd' });
  assert.equal(parseUsbId('781\n').ok, false);
  assert.deepEqual(parseClassCode('08\n'), { ok: true, value: 8 });
  assert.deepEqual(parseClassCode('ff\n'), { ok: true, value: 255 });
  assert.equal(parseClassCode('8').ok, false);
  assert.deepEqual(parseFlag('1\n'), { ok: true, value: true });
  assert.deepEqual(parseFlag('0\n'), { ok: true, value: false });
  assert.equal(parseFlag('yes').ok, false);
  assert.deepEqual(parseDeviceNumber('8:16\n'), { ok: true, value: { major: 8, minor: 16 } });
  assert.equal(parseDeviceNumber('8:').ok, false);
  assert.equal(parseDeviceNumber('99999:1').ok, false);
  assert.deepEqual(parseUeventProduct('781/5567/100'), { ok: true, value: { vendorId: '0781', productId: '5567' } });
  assert.deepEqual(parseUeventInterface('8/6/80'), { ok: true, value: { class: 8, subclass: 6, protocol: 80 } });
  assert.equal(parseUeventInterface('8/6/800').ok, false);
});

test('a string the device reports cannot forge log lines and is cut', () => {
  assert.equal(parseDeviceString('4C530001\n'), '4C530001');
  assert.equal(parseDeviceString('evil\nline\u0000'), 'evil?line?');
  assert.equal(parseDeviceString('\n'), undefined);
  assert.equal(parseDeviceString('x'.repeat(1000))?.length, MAX_DEVICE_STRING_CHARS);
});

test('garbage never throws and what parses is in range', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (text) => {
      const id = parseUsbId(text);
      if (id.ok) assert.match(id.value, /^[0-9a-f]{4}$/);
      const code = parseClassCode(text);
      if (code.ok) assert.ok(code.value >= 0 && code.value <= 255);
      parseFlag(text);
      parseDeviceNumber(text);
      const s = parseDeviceString(text);
      if (s !== undefined) assert.equal(replaceControlCharacters(s), s);
      parseUeventProduct(text);
      const i = parseUeventInterface(text);
      if (i.ok) assert.ok(i.value.class <= 255);
    }),
  );
});
