import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  isInterpreter,
  isPackageManager,
  namedOnCommandLine,
  parseCommandLine,
  resolveArgument,
} from './interpreters.js';

test('shells, script interpreters and the loader are interpreters; ordinary programs are not', () => {
  for (const p of [
    '/usr/bin/dash',
    '/usr/bin/bash',
    '/bin/sh',
    '/usr/bin/python3.11',
    '/usr/bin/perl',
    '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    '/usr/bin/node',
    '/usr/bin/python3.11 (deleted)',
  ])
    assert.ok(isInterpreter(p), p);
  for (const p of ['/usr/bin/cat', '/usr/bin/ssh', '/usr/sbin/sshd', '/usr/bin/python-config-x'])
    assert.ok(!isInterpreter(p), p);
});

test('a script named on the command line is found relative to the working directory', () => {
  assert.ok(namedOnCommandLine(['python3', '-u', 'x.py'], '/srv/app', '/srv/app/x.py'));
  assert.ok(namedOnCommandLine(['sh', '../t/x.sh'], '/srv/app', '/srv/t/x.sh'));
  assert.ok(namedOnCommandLine(['/lib64/ld-linux-x86-64.so.2', './prog'], '/tmp', '/tmp/prog'));
  assert.ok(!namedOnCommandLine(['python3', 'x.py'], '/srv/app', '/usr/lib/python3/os.py'));
  assert.ok(!namedOnCommandLine(['x.py'], '/srv/app', '/srv/app/x.py'), 'argv[0] is the program');
  assert.equal(resolveArgument('/a/./b/../c', '/x'), '/a/c');
});

test('/proc/PID/cmdline is split on NUL, garbage never throws', () => {
  assert.deepEqual(parseCommandLine(new TextEncoder().encode('sh\0-c\0echo hi\0')), ['sh', '-c', 'echo hi']);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.string(), fc.string(), (raw, cwd, path) => {
      namedOnCommandLine(parseCommandLine(raw), cwd, path);
    }),
  );
});

test('dpkg and apt are package managers', () => {
  assert.ok(isPackageManager('dpkg\n'));
  assert.ok(isPackageManager('apt-get'));
  assert.ok(!isPackageManager('bash'));
});
