/**
 * A machine without iptables/nft queue support skips the NFQUEUE suite with a printed reason rather
 * than failing its set-up (which cancelled its tests and made `npm test` exit 1); under CI it is an
 * error. Proven by running the skip-reason function with a PATH that lacks the tools.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { kernelSkipReason } from './netns-lab.js';
import { nfqueueSkipReason } from './nfqueue-skip.js';

// Past the root and addon checks only: below them the function never reaches the tools.
const skip = kernelSkipReason('the NFQUEUE skip-reason probe');
if (skip) console.log(`# skipping the NFQUEUE skip-reason tests: ${skip}`);

/** A PATH holding only these commands, linked from the real PATH. */
function pathWith(tools: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-path-'));
  dirs.push(dir);
  for (const tool of tools) {
    const found = spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', tool], { encoding: 'utf8' }).stdout.trim();
    assert.ok(found.startsWith('/'), `${tool} is on this machine's PATH`);
    symlinkSync(found, join(dir, tool));
  }
  return dir;
}
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('NFQUEUE suite skip reason', { skip }, () => {
  const env = (path: string, ci?: string) => {
    const { CI: _ci, ...rest } = process.env;
    return { ...rest, PATH: path, ...(ci === undefined ? {} : { CI: ci }) };
  };

  test('without iptables and nft the suite is skipped, naming both', () => {
    const reason = nfqueueSkipReason(env(pathWith(['ip', 'nc', 'python3'])));
    assert.match(reason ?? '', /^cannot steer traffic to NFQUEUE here: .*nft.*iptables/s);
  });

  test('a missing tool the tests run is named', () => {
    assert.equal(
      nfqueueSkipReason(env(pathWith(['ip', 'python3']))),
      'needs nc on the PATH: NFQUEUE in a network namespace',
    );
  });

  test('under CI the same lack is an error, not a skip', () => {
    assert.throws(
      () => nfqueueSkipReason(env(pathWith(['ip', 'nc', 'python3']), 'true')),
      /NFQUEUE steering must work in CI/,
    );
    assert.throws(() => nfqueueSkipReason(env(pathWith(['ip', 'python3']), 'true')), /nc must be installed in CI/);
  });

  test('with the machine’s own PATH the steering works and nothing is skipped', (t) => {
    const reason = nfqueueSkipReason(env(process.env.PATH ?? ''));
    // This machine may truly lack the feature; then the suite is skipped too, and this says why.
    if (reason && !process.env.CI) return t.skip(reason);
    assert.equal(reason, undefined);
  });
});
