/**
 * Issue 10 item 7: `bulwark computers recommend ID --apply` on a real agent with the firewall on
 * in inline mode must leave the host's traffic as it was: new outgoing connections (loopback
 * included), new incoming ones, and outbound ones to another host. The manager, the agent and the
 * CLI all run inside the lab's namespace "a" (recommend-apply-scenario.ts); this file checks what
 * the scenario saw.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { readJsonLines } from '../support/netns-lab.js';
import { A_B, B, createLab, type Lab, listen, repoRoot, rootSkipReason, waitReady } from './firewall-lab.js';

const skip = rootSkipReason(['nft', 'nc', 'ip']);
const PEER_PORT = 9090;

type Line = Record<string, unknown>;

describe('recommendation scan with auto-apply on a real agent, firewall inline', { skip }, () => {
  let lab: Lab;
  let peer: ChildProcess | undefined;
  let lines: Line[] = [];

  before(async () => {
    lab = createLab();
    peer = listen(lab.b, [PEER_PORT]);
    await waitReady(peer);
    const scenario = spawn(
      'ip',
      ['netns', 'exec', lab.a, process.execPath, '--import', 'tsx', 'test/firewall/recommend-apply-scenario.ts'],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, BWRA_PEER_NS: lab.b, BWRA_PEER: B, BWRA_PEER_PORT: String(PEER_PORT), BWRA_SELF: A_B },
      },
    );
    const read = readJsonLines(scenario, {
      timedOut: (seen) => `scenario timed out; it said: ${JSON.stringify(seen).slice(-3000)}`,
      exited: (seen) => `scenario exited early; it said: ${JSON.stringify(seen).slice(-3000)}`,
    });
    await read.waitFor((l) => l.step === 'done', 240_000);
    lines = read.lines;
  });

  after(() => {
    peer?.kill();
    lab?.destroy();
  });

  const step = (name: string) => {
    const error = lines.find((l) => l.step === 'error');
    assert.equal(error, undefined, String(error?.message));
    const line = lines.find((l) => l.step === name);
    assert.ok(line, `no "${name}" step: ${JSON.stringify(lines).slice(-2000)}`);
    return line;
  };

  test('the firewall is on and the host talks freely before the scan', () => {
    const before = step('before');
    assert.equal((before.firewall as { state: string }).state, 'on');
    assert.deepEqual(before.traffic, { loopback: true, outbound: true, inbound: true });
  });

  test('auto-apply assigns no rule that turns on implicit deny; the proposals and why stay visible', () => {
    const scan = step('scan').scan as {
      recommended: Record<string, string[]>;
      applied: Record<string, string[]>;
      notApplied: Record<string, { id: string; reason: string }[]>;
    };
    assert.ok(scan.recommended.firewall?.includes('allow-established-outgoing'), JSON.stringify(scan));
    assert.ok(!(scan.applied.firewall ?? []).includes('allow-established-outgoing'));
    assert.ok(!(scan.applied.firewall ?? []).includes('allow-established'));
    const why = scan.notApplied.firewall?.find((r) => r.id === 'allow-established-outgoing')?.reason ?? '';
    assert.match(why, /implicit deny for outgoing traffic/);
  });

  test('after the agent applied the result, loopback, outbound and inbound connections still open', () => {
    const after = step('after');
    assert.equal((after.firewall as { state: string }).state, 'on');
    const effective = (after.effective as { items: { id: string }[] }).items.map((r) => r.id);
    assert.ok(!effective.includes('allow-established-outgoing'), JSON.stringify(effective));
    assert.deepEqual(after.traffic, { loopback: true, outbound: true, inbound: true });
  });
});
