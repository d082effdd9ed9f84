import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addressBounds, parseAddressTerm, parseMac, parsePortTerm } from './address.js';

test('addresses, CIDR blocks and ranges of both families parse', () => {
  assert.deepEqual(parseAddressTerm('10.0.0.1'), { ok: true, value: { family: 'ipv4', nft: '10.0.0.1' } });
  assert.deepEqual(parseAddressTerm('10.0.0.0/8'), { ok: true, value: { family: 'ipv4', nft: '10.0.0.0/8' } });
  assert.deepEqual(parseAddressTerm('10.0.0.1-10.0.0.9'), {
    ok: true,
    value: { family: 'ipv4', nft: '10.0.0.1-10.0.0.9' },
  });
  assert.deepEqual(parseAddressTerm('FD00::/64'), { ok: true, value: { family: 'ipv6', nft: 'fd00::/64' } });
  assert.deepEqual(parseAddressTerm('2001:db8::1-2001:db8::ff'), {
    ok: true,
    value: { family: 'ipv6', nft: '2001:db8::1-2001:db8::ff' },
  });
});

test('bad addresses are refused with a reason', () => {
  for (const [input, reason] of [
    ['10.0.0.0/33', /prefix length must be 0 to 32/],
    ['10.0.0.1/24', /host bits are set/],
    ['10.0.0.256', /not a valid IP address/],
    ['10.0.0.9-10.0.0.1', /start is after end/],
    ['10.0.0.1-::1', /one family/],
    ['fd00::1/64', /host bits/],
    ['', /expected/],
  ] as const) {
    const r = parseAddressTerm(input);
    assert.equal(r.ok, false, input);
    if (!r.ok) assert.match(r.message, reason);
  }
});

test('ports and ranges parse; out-of-range and reversed ranges do not', () => {
  assert.deepEqual(parsePortTerm(22), { ok: true, value: '22' });
  assert.deepEqual(parsePortTerm('1000-2000'), { ok: true, value: '1000-2000' });
  assert.deepEqual(parsePortTerm('80-80'), { ok: true, value: '80' });
  assert.equal(parsePortTerm(70000).ok, false);
  assert.equal(parsePortTerm('2000-1000').ok, false);
  assert.equal(parsePortTerm('http').ok, false);
  assert.deepEqual(parseMac('02-00-00-AA-BB-CC'), { ok: true, value: '02:00:00:aa:bb:cc' });
  assert.equal(parseMac('02:00:00:aa:bb').ok, false);
});

test('every IPv4 CIDR built from its parts parses back to itself', () => {
  fc.assert(
    fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, bits) => {
      const n = address.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
      const network = bits === 0 ? 0 : Math.floor(n / 2 ** (32 - bits)) * 2 ** (32 - bits);
      const text = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
      const r = parseAddressTerm(`${text}/${bits}`);
      return r.ok && r.value.nft === `${text}/${bits}`;
    }),
  );
});

test('the parsers never throw on garbage', () => {
  fc.assert(
    fc.property(fc.anything(), (input) => {
      parseAddressTerm(input);
      parsePortTerm(input);
      parseMac(input);
    }),
  );
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdef:./-'.split('')) }), (s) => {
      parseAddressTerm(s);
    }),
  );
});

test('addressBounds covers a single address, a CIDR block and a range in both families', () => {
  const bounds = (text: string) => {
    const r = parseAddressTerm(text);
    assert.ok(r.ok);
    return addressBounds(r.value);
  };
  assert.deepEqual(bounds('10.0.0.1'), [0x0a000001n, 0x0a000001n]);
  assert.deepEqual(bounds('10.0.0.0/8'), [0x0a000000n, 0x0affffffn]);
  assert.deepEqual(bounds('10.0.0.5-10.0.0.9'), [0x0a000005n, 0x0a000009n]);
  assert.deepEqual(bounds('2001:db8::/127'), [0x20010db8n << 96n, (0x20010db8n << 96n) | 1n]);
});
