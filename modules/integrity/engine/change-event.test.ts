import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NewEvent, parseWith } from '@bulwark/protocol';
import fc from 'fast-check';
import { diffBaseline } from './baseline-diff.js';
import { displayPath, pathBuffer, toBytePath } from './byte-path.js';
import { changeEvent } from './change-event.js';
import { entityFilter } from './entity-filter.js';
import { validateRule } from './rule.js';

const compiled = (entity: unknown) => {
  const r = validateRule({ id: 'r', name: 'Rule', description: '', severity: 'critical', entity });
  assert.ok(r.ok);
  return r.rule;
};

test('a change becomes a valid event with the rule severity and every changed attribute', () => {
  const rule = compiled({ kind: 'files', base: '/etc' });
  const [change] = diffBaseline(
    new Map([['/etc/passwd', { key: '/etc/passwd', attributes: { sha256: 'a', size: 1 } }]]),
    new Map([['/etc/passwd', { key: '/etc/passwd', attributes: { sha256: 'b', size: 2 } }]]),
    rule.attributes,
  );
  const event = changeEvent(rule, change!, 'real-time', new Date('2026-01-01T00:00:00Z'));
  assert.ok(parseWith(NewEvent, event).ok);
  assert.equal(event.severity, 'critical');
  assert.equal(event.summary, 'Changed file /etc/passwd (sha256, size) — Rule');
  assert.deepEqual(event.details?.changes, [
    { attribute: 'sha256', before: 'a', after: 'b' },
    { attribute: 'size', before: 1, after: 2 },
  ]);
});

test('events stay valid for any path, however long or strange', () => {
  const rule = compiled({ kind: 'files', base: '/' });
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), (bytes) => {
      const key = `/${Buffer.from(bytes).toString('latin1')}`;
      const [change] = diffBaseline(new Map(), new Map([[key, { key, attributes: { size: 1 } }]]), ['size']);
      const event = changeEvent(rule, change!, 'scan', new Date(0));
      assert.ok(parseWith(NewEvent, event).ok);
      const entity = event.details?.entity as { pathBase64?: string };
      if (entity.pathBase64) assert.ok(Buffer.from(entity.pathBase64, 'base64').equals(pathBuffer(key)));
    }),
    { numRuns: 300 },
  );
});

test('byte paths round-trip UTF-8 text and show invalid bytes as \\xNN', () => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      if (text.includes('\uFFFD') || /[\uD800-\uDFFF]/.test(text)) return;
      assert.equal(displayPath(toBytePath(text)), text);
    }),
  );
  assert.equal(displayPath(Buffer.from([0x61, 0xc3, 0x28]).toString('latin1')), 'a\\xc3(');
});

test('entity filters: includes, excludes, policy exclusions and pruning', () => {
  const rule = compiled({ kind: 'files', base: '/var/app', include: ['*.conf', 'data/**'], exclude: ['cache'] });
  const f = entityFilter(rule, ['*.tmp.conf']);
  assert.equal(f.includes('/var/app/a.conf'), true);
  assert.equal(f.includes('/var/app/x.tmp.conf'), false);
  assert.equal(f.includes('/var/app/data/deep/file'), true);
  assert.equal(f.includes('/var/app/readme'), false);
  assert.equal(f.prunes('/var/app/cache'), true);
  const ports = entityFilter(compiled({ kind: 'ports', include: ['tcp:22', 'udp:*'] }));
  assert.equal(ports.includes('tcp 0.0.0.0:22'), true);
  assert.equal(ports.includes('tcp [0:0:0:0:0:0:0:0]:80'), false);
  assert.equal(ports.includes('udp 127.0.0.1:53'), true);
  const packages = entityFilter(compiled({ kind: 'packages', exclude: ['linux-image-*'] }));
  assert.equal(packages.includes('dpkg:linux-image-6.1:amd64'), false);
  assert.equal(packages.includes('dpkg:openssh-server:amd64'), true);
});
