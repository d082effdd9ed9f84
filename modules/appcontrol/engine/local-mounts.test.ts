import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { localMountPoints } from './local-mounts.js';

test('local filesystems are kept, pseudo filesystems left out, escapes undone', () => {
  const text = [
    '/dev/sda1 / ext4 rw,relatime 0 0',
    'proc /proc proc rw 0 0',
    'tmpfs /run/user/0 tmpfs rw 0 0',
    '/dev/sdb1 /srv/my\\040data xfs rw 0 0',
    '/dev/sda1 / ext4 rw 0 0',
    'garbage',
  ].join('\n');
  assert.deepEqual(localMountPoints(text), ['/', '/run/user/0', '/srv/my data']);
});

test('garbage never throws', () => {
  fc.assert(fc.property(fc.string(), (text) => void localMountPoints(text)));
});
