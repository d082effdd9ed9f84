import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { NewEvent } from '@bulwark/protocol';

const JOURNALD = '/usr/lib/systemd/systemd-journald';
const worker = fileURLToPath(new URL('./journal-worker.ts', import.meta.url));

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (a mount namespace with tmpfs for a private journald)';
  if (!existsSync(JOURNALD)) return `${JOURNALD} is not installed`;
  for (const tool of ['unshare', 'logger', 'systemd-cat', 'journalctl'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  return undefined;
}

/**
 * A real journald, in a private mount namespace: tmpfs over its sockets and storage, so the
 * host's journal (if any) is neither read nor written. The module runs there with the real
 * journalctl.
 */
test('the real journal: entries after the start, byte-array MESSAGE, cursor kept across a restart', {
  skip: skipReason(),
}, () => {
  const script = `
    set -e
    mount -t tmpfs tmpfs /run/systemd 2>/dev/null || { mkdir -p /run/systemd; mount -t tmpfs tmpfs /run/systemd; }
    mkdir -p /run/log && mount -t tmpfs tmpfs /run/log
    if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
    ${JOURNALD} >/dev/null 2>&1 &
    JOURNALD_PID=$!
    trap 'kill $JOURNALD_PID' EXIT
    for i in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
    ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(worker)}
  `;
  const run = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
  });
  assert.equal(run.status, 0, `worker failed: ${run.stderr}`);
  const { events, cursor } = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as {
    events: NewEvent[];
    cursor: string;
  };
  const lines = events.map((e) =>
    String(e.details?.fullLog)
      .replace(/^\S+ \S+ /, '')
      .replace(/\[\d+\]: /, '[PID]: '),
  );
  assert.deepEqual(lines, [
    expectProgram('bulwarktest', 'seq=r1 hello'),
    expectProgram('colortest', 'seq=r2 \x1b[31mred\x1b[0m'),
    expectProgram('bulwarktest', 'seq=r3 written while stopped'),
    expectProgram('bulwarktest', 'seq=r4 after the restart'),
  ]);
  assert.deepEqual(
    events.map((e) => [e.details?.location, e.details?.programName, e.details?.source]),
    [
      ['journald', 'bulwarktest', 'journald'],
      ['journald', 'colortest', 'journald'],
      ['journald', 'bulwarktest', 'journald'],
      ['journald', 'bulwarktest', 'journald'],
    ],
  );
  assert.match(cursor, /^s=[0-9a-f]+;i=[0-9a-f]+;/);
});

function expectProgram(program: string, message: string): string {
  return `${program}[PID]: ${message}`;
}
