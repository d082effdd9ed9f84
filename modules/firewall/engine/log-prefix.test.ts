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
    }
  }
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
