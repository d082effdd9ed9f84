/**
 * Issue 13, "Behaviour the workflow needs": the false-positive workflow end to end, through the
 * CLI against a real manager and a real agent, with real traffic between namespaces. The scenario
 * (workflow-scenario.ts) runs inside the protected host's namespace; this file checks what it saw.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { readJsonLines } from '../support/netns-lab.js';
import { createIpsLab, type IpsLab, ipsSkipReason, repoRoot } from './ips-lab.js';

const skip = ipsSkipReason();
/** This file's NFQUEUE numbers: 120-123. */
const QUEUE = 120;

type Line = Record<string, unknown>;
type Outcome = { exit: number; status: number; seconds: number };
type Event = { action: string; ruleId: string; details: Record<string, unknown> };

describe('IPS false-positive workflow through the CLI, real manager and agent', { skip }, () => {
  let lab: IpsLab;
  let lines: Line[] = [];

  before(async () => {
    lab = createIpsLab(1);
    const scenario = spawn(
      'ip',
      ['netns', 'exec', lab.a, process.execPath, '--import', 'tsx', 'test/ips/workflow-scenario.ts'],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, BWIPS_CLIENT_NS: lab.b, BWIPS_SELF: lab.aAddress, BWIPS_QUEUE: String(QUEUE) },
      },
    );
    const read = readJsonLines(scenario, {
      timedOut: (seen) => `scenario timed out; it said: ${JSON.stringify(seen).slice(-3000)}`,
      exited: (seen) => `scenario exited early; it said: ${JSON.stringify(seen).slice(-3000)}`,
    });
    await read.waitFor((l) => l.step === 'done', 420_000);
    lines = read.lines;
  });

  after(() => lab?.destroy());

  const step = (name: string) => {
    const error = lines.find((l) => l.step === 'error');
    assert.equal(error, undefined, `${String(error?.message)}\n${String(error?.agent)}`);
    const line = lines.find((l) => l.step === name);
    assert.ok(line, `no "${name}" step: ${JSON.stringify(lines).slice(-2000)}`);
    return line;
  };
  const answered = (o: unknown) => {
    const r = o as Outcome;
    assert.equal(r.exit, 0, `expected an HTTP answer, got ${JSON.stringify(r)}`);
    assert.ok(r.status >= 200 && r.status < 500, JSON.stringify(r));
  };
  const reset = (o: unknown) => {
    const r = o as Outcome;
    assert.equal(r.status, 0, `expected a reset, got HTTP ${JSON.stringify(r)}`);
    assert.ok([52, 56].includes(r.exit), `curl exit ${r.exit}: expected 56 (reset) or 52 (closed)`);
  };

  test('IPS is on; ordinary requests pass', () => {
    const on = step('on');
    assert.equal((on.ips as { state: string }).state, 'on', JSON.stringify(on.ips));
    answered(on.benign);
  });

  test('a request with a 5,000-character URI is reset and raises a Reset event', () => {
    const s = step('reset');
    reset(s.request);
    const event = s.event as Event;
    assert.equal(event.action, 'Reset');
    assert.equal(event.details.destinationPort, 80);
    assert.ok(String(event.details.evidence ?? '').length <= 256);
    assert.ok(typeof event.details.buffer === 'string');
    answered(s.benign);
  });

  test('with the computer in tap the same request passes and the event says Detect Only: Reset', () => {
    const s = step('tap');
    answered(s.request);
    assert.equal((s.event as Event).action, 'Detect Only: Reset');
  });

  test('rules show lists where the rule is assigned; after unassigning, nowhere, and it is excluded', () => {
    const s = step('unassigned');
    const shown = s.shown as { assignedTo: { kind: string }[] };
    assert.deepEqual(shown.assignedTo.map((a) => a.kind).sort(), ['computer', 'policy']);
    const later = s.afterUnassign as { assignedTo: unknown[]; excludedFromRecommendations: boolean };
    assert.deepEqual(later.assignedTo, []);
    assert.equal(later.excludedFromRecommendations, true);
  });

  test('computers recommend --apply recommends it, keeps it excluded and does not assign it again', () => {
    const s = step('scan');
    const scan = s.scan as {
      recommended: Record<string, string[]>;
      applied: Record<string, string[]>;
      excluded: Record<string, string[]>;
    };
    const ruleId = (step('reset').event as Event).ruleId;
    assert.ok(scan.recommended.ips?.includes(ruleId), `the scan should propose ${ruleId}: ${JSON.stringify(scan)}`);
    assert.ok(scan.excluded.ips?.includes(ruleId));
    assert.ok(!(scan.applied.ips ?? []).includes(ruleId));
    assert.ok(!(s.effective as string[]).includes(ruleId));
  });

  test('the long request then passes with no event, while the other rule still reports', () => {
    const s = step('quiet');
    answered(s.request);
    answered(s.marker);
    assert.equal((s.markerEvent as Event).action, 'Detect Only: Reset');
    assert.deepEqual(s.uriEvents, []);
  });

  test('mode unset (inherited inline): a different attack is reset again', () => {
    const s = step('inline-again');
    const mode = s.mode as { overridden?: boolean; value?: unknown };
    assert.equal(mode.value, 'inline', JSON.stringify(mode));
    assert.notEqual(mode.overridden, true);
    reset(s.request);
    assert.equal((s.event as Event).action, 'Reset');
    answered(s.longUri);
    answered(s.benign);
  });
});
