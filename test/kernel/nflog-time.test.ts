/**
 * The kernel's time of a logged packet (NFULA_TIMESTAMP, `LoggedPacket.timeMs`): the firewall
 * dates its events by it, so a subscriber that was frozen while packets were logged still gets the
 * time they were logged, not the time it read them. The kernel stamps packets on the input side
 * only; on the output hook it sends no time (timeMs 0), which the firewall marks in its events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLab, kernelSkipReason, type Lab, spawnInNamespace } from './netns-lab.js';

const skip = kernelSkipReason('NFLOG in a network namespace');
if (skip) console.log(`# skipping NFLOG time tests: ${skip}`);

const GROUP = 9;
const PORT = 8444;
const CLOSED_PORT = 8445;

describe('NFLOG packet time', { skip }, () => {
  let lab: Lab;
  before(() => {
    lab = createLab('t');
    const ruleset =
      'table inet bwtimetest {\n' +
      `  chain input {\n    type filter hook input priority 0;\n    tcp dport ${PORT} log prefix "in" group ${GROUP} drop\n  }\n` +
      `  chain output {\n    type filter hook output priority 0;\n    tcp sport ${CLOSED_PORT} log prefix "out" group ${GROUP}\n  }\n}\n`;
    const r = lab.exec(lab.server, 'sh', ['-c', `printf '%s' '${ruleset}' | nft -f -`]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => lab?.destroy());

  test('an input packet read late carries the time it was logged; an output packet carries none', async () => {
    const worker = spawnInNamespace(lab.server, [process.execPath, '--import', 'tsx', 'test/kernel/log-worker.ts'], {
      BW_GROUP: String(GROUP),
    });
    try {
      const first = await worker.waitFor((l) => 'ready' in l || 'unavailable' in l);
      assert.equal(first.unavailable, undefined, String(first.unavailable));
      worker.child.kill('SIGSTOP');
      const sentAt = Date.now();
      let resumedAt = 0;
      try {
        // The SYN is logged on input and dropped: nc waits its 1 s while the subscriber is frozen.
        lab.exec(lab.client, 'nc', ['-z', '-w', '1', lab.serverAddress, String(PORT)]);
        // Nothing listens here: the server's RST is logged on output.
        lab.exec(lab.client, 'nc', ['-z', '-w', '1', lab.serverAddress, String(CLOSED_PORT)]);
      } finally {
        resumedAt = Date.now();
        worker.child.kill('SIGCONT');
      }
      const input = await worker.waitFor((l) => l.prefix === 'in');
      const output = await worker.waitFor((l) => l.prefix === 'out');
      const time = input.timeMs as number;
      assert.ok(
        time >= sentAt - 50 && time < resumedAt - 500,
        `logged at ${time}, sent ${sentAt}, read after ${resumedAt}`,
      );
      assert.equal(output.timeMs, 0, 'the kernel sends no timestamp for the output hook');
    } finally {
      await worker.stop();
    }
  });
});
