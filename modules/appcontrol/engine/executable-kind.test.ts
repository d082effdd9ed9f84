import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { classifyExecutable, HEAD_BYTES, MAX_SHEBANG_BYTES, parseElfHeader, parseShebang } from './executable-kind.js';

const bytes = (text: string) => new TextEncoder().encode(text);

test('an ELF header gives class, byte order, type and machine', () => {
  const head = new Uint8Array(64);
  head.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  head[16] = 3; // ET_DYN
  head[18] = 62; // x86-64
  assert.deepEqual(parseElfHeader(head), { kind: 'elf', class: 64, littleEndian: true, type: 'shared', machine: 62 });
  const big = new Uint8Array(64);
  big.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
  big[17] = 2;
  big[19] = 8;
  assert.deepEqual(parseElfHeader(big), {
    kind: 'elf',
    class: 32,
    littleEndian: false,
    type: 'executable',
    machine: 8,
  });
});

test("this machine's own /bin/sh is an ELF program", () => {
  const head = readFileSync('/bin/sh').subarray(0, HEAD_BYTES);
  const kind = classifyExecutable(head);
  assert.equal(kind.kind, 'elf');
});

test('a malformed ELF header is not executable and says why', () => {
  assert.deepEqual(parseElfHeader(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2)), {
    kind: 'other',
    anomaly: 'elf-truncated',
  });
  const bad = new Uint8Array(64);
  bad.set([0x7f, 0x45, 0x4c, 0x46, 3, 1, 1]);
  assert.deepEqual(parseElfHeader(bad), { kind: 'other', anomaly: 'elf-bad-class' });
  bad[4] = 2;
  bad[5] = 0;
  assert.deepEqual(parseElfHeader(bad), { kind: 'other', anomaly: 'elf-bad-byte-order' });
  assert.deepEqual(parseElfHeader(bytes('\x7fELX')), { kind: 'other' });
});

test('a #! line is read as the kernel reads it', () => {
  assert.deepEqual(parseShebang(bytes('#!/bin/sh\necho hi\n')), {
    kind: 'script',
    interpreter: '/bin/sh',
    argument: null,
  });
  assert.deepEqual(parseShebang(bytes('#! /usr/bin/env  python3 -u \r\nprint(1)')), {
    kind: 'script',
    interpreter: '/usr/bin/env',
    argument: 'python3 -u',
  });
  assert.deepEqual(parseShebang(bytes('#!\t/bin/bash')), { kind: 'script', interpreter: '/bin/bash', argument: null });
  assert.deepEqual(parseShebang(bytes('#!   \nrest')), { kind: 'other', anomaly: 'shebang-empty' });
  assert.deepEqual(parseShebang(bytes('# comment')), { kind: 'other' });
  const long = parseShebang(bytes(`#!/bin/sh ${'a'.repeat(1000)}`));
  assert.equal(long.kind, 'script');
  assert.equal(long.kind === 'script' && long.argument?.length, MAX_SHEBANG_BYTES - '#!/bin/sh '.length);
});

test('plain data is neither', () => {
  assert.deepEqual(classifyExecutable(bytes('hello')), { kind: 'other' });
  assert.deepEqual(classifyExecutable(new Uint8Array(0)), { kind: 'other' });
});

test('garbage never throws, and what is called an executable has the right magic', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (head) => {
      const kind = classifyExecutable(head);
      if (kind.kind === 'elf') assert.deepEqual([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
      if (kind.kind === 'script') {
        assert.deepEqual([...head.subarray(0, 2)], [0x23, 0x21]);
        assert.ok(kind.interpreter.length > 0);
        assert.ok(!/[ \t\n]/.test(kind.interpreter));
      }
    }),
    { numRuns: 2000 },
  );
  // Headers that start right, then turn to garbage.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (tail, elf) => {
      const head = new Uint8Array([...(elf ? [0x7f, 0x45, 0x4c, 0x46] : [0x23, 0x21]), ...tail]);
      const kind = classifyExecutable(head);
      assert.ok(kind.kind === (elf ? 'elf' : 'script') || kind.kind === 'other');
    }),
    { numRuns: 2000 },
  );
});
