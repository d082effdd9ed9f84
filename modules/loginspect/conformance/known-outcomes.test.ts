import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareWithExpected, parseExpected } from './known-outcomes.js';

test('a case outside the known list that does not pass is a new failure; a listed case that passes is reported', () => {
  const expected = parseExpected(
    JSON.stringify({ failing: ['a.ini [x] log 1 pass'], unsupported: ['b.ini [y] log 1 pass'] }),
  );
  const same = compareWithExpected(expected, {
    failing: ['a.ini [x] log 1 pass'],
    unsupported: ['b.ini [y] log 1 pass'],
  });
  assert.deepEqual(same, { newFailures: [], nowPassing: [] });
  const moved = compareWithExpected(expected, {
    failing: ['b.ini [y] log 1 pass'],
    unsupported: ['a.ini [x] log 1 pass'],
  });
  assert.deepEqual(moved, { newFailures: [], nowPassing: [] });
  const changed = compareWithExpected(expected, {
    failing: ['c.ini [z] log 2 pass'],
    unsupported: ['b.ini [y] log 1 pass'],
  });
  assert.deepEqual(changed, { newFailures: ['c.ini [z] log 2 pass'], nowPassing: ['a.ini [x] log 1 pass'] });
});

test('a malformed known-outcomes file is an error that names the list', () => {
  assert.throws(() => parseExpected('{"failing": [1], "unsupported": []}'), /"failing" must be a list/);
  assert.throws(() => parseExpected('{"failing": []}'), /"unsupported" must be a list/);
});
