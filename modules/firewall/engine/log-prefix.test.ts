import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type LogReason, type LogVerdict, logPrefix, parseLogPrefix } from './log-prefix.js';

test('every prefix reads back to what it was made from and fits nft', () => {
  const reasons: LogReason[] = [
    { kind: 'rule', index: 0 },
    { kind: 'rule', index: 99_999 },
    { kind: 'implicit-deny' },
    { kind: 'invalid' },
    { kind: 'half-open-limit' },
    { kind: 'blocked-source' },
    { kind: 'marked-rule' },
  ];
  for (const reason of reasons) {
    for (const verdict of ['dropped', 'would-drop', 'logged'] as LogVerdict[]) {
      const text = logPrefix(reason, verdict);
      assert.ok(text.length < 64);
      assert.deepEqual(parseLogPrefix(text), { kind: 'verdict', reason, verdict });
      const versioned = logPrefix(reason, verdict, '0123456789ab');
      assert.ok(versioned.length < 64);
      assert.deepEqual(parseLogPrefix(versioned), { kind: 'verdict', reason, verdict, table: '0123456789ab' });
    }
  }
  assert.equal(logPrefix({ kind: 'rule', index: 3 }, 'dropped', 'a1'), 'bw|a1|3|d');
  assert.equal(logPrefix({ kind: 'rule', index: 3 }, 'dropped', 'NOT-HEX'), 'bw|3|d', 'a bad version is left out');
  assert.deepEqual(parseLogPrefix('bw|r'), { kind: 'recon' });
});

test('foreign prefixes are not ours, and reading never throws', () => {
  assert.equal(parseLogPrefix('DROP: '), undefined);
  assert.equal(parseLogPrefix('bw|zzz|d'), undefined);
  fc.assert(
    fc.property(fc.string(), (s) => {
      parseLogPrefix(s);
    }),
  );
});
