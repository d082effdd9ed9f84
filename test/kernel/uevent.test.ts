import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { openUeventMonitor, type UeventItem, type UeventMonitor } from '@bulwark/kernel';
import { kernelSkipReason } from './netns-lab.js';

// A "change" written to a device's uevent file makes the kernel broadcast a uevent for it: a real
// message through the real socket, with no device plugged in. /dev/null's device is everywhere.
const TRIGGER = '/sys/devices/virtual/mem/null/uevent';
const skip = kernelSkipReason('writing a sysfs uevent file to make the kernel send a uevent');
if (skip) console.log(`# skipping uevent monitor tests: ${skip}`);

const opened: UeventMonitor[] = [];
after(() => {
  for (const m of opened) m.close();
});

async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a uevent the kernel broadcasts reaches JS as it was sent', { skip }, async () => {
  const items: UeventItem[] = [];
  const m = openUeventMonitor({ onMessages: (batch) => items.push(...batch) });
  assert.ok(m.available, m.available ? '' : m.reason);
  opened.push(m.value);
  writeFileSync(TRIGGER, 'change');
  const text = () => items.flatMap((i) => (i.kind === 'message' ? [new TextDecoder().decode(i.bytes)] : []));
  await waitFor(() => text().some((t) => t.startsWith('change@/devices/virtual/mem/null\0')), 'the change uevent');
  const message = text().find((t) => t.startsWith('change@/devices/virtual/mem/null\0')) ?? '';
  assert.match(message, /\0SUBSYSTEM=mem\0/);
  assert.match(message, /\0DEVNAME=null\0/);
  assert.ok(m.value.stats().received >= 1);
  assert.equal(m.value.stats().receiveErrors, 0);
  m.value.close();
  assert.equal(m.value.closed, true);
  m.value.close();
});

test('two monitors hear the same messages; a closed one hears nothing more', { skip }, async () => {
  const a: UeventItem[] = [];
  const b: UeventItem[] = [];
  const ma = openUeventMonitor({ onMessages: (batch) => a.push(...batch) });
  const mb = openUeventMonitor({ onMessages: (batch) => b.push(...batch) });
  assert.ok(ma.available && mb.available);
  opened.push(ma.value, mb.value);
  ma.value.close();
  for (let i = 0; i < 3; i++) writeFileSync(TRIGGER, 'change');
  await waitFor(() => b.filter((i) => i.kind === 'message').length >= 3, 'three messages');
  assert.equal(a.length, 0);
});
