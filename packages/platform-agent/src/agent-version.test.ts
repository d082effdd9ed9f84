import assert from 'node:assert/strict';
import { test } from 'node:test';
import { osReleaseName } from './agent-version.js';

test('the host label is os-release PRETTY_NAME, else NAME, quoted or not; nothing when neither is there', () => {
  const debian = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n';
  assert.equal(osReleaseName(debian), 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(osReleaseName("NAME='Alpine Linux'\nID=alpine\n"), 'Alpine Linux');
  assert.equal(osReleaseName('NAME=Gentoo\n'), 'Gentoo');
  assert.equal(osReleaseName('PRETTY_NAME="say \\"hi\\""\n'), 'say "hi"');
  assert.equal(osReleaseName('ID=x\nPRETTY_NAME=$(reboot)\n'), undefined);
  assert.equal(osReleaseName(''), undefined);
});
