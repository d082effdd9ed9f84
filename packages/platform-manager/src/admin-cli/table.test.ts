import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellText, formatFields, formatTable, formatTime } from './table.js';

describe('formatTable', () => {
  const columns = [
    { header: 'id', cell: (r: { id: string; name?: string }) => r.id },
    { header: 'name', cell: (r: { id: string; name?: string }) => r.name },
  ];

  it('aligns columns on the widest cell, header upper-cased, no trailing spaces', () => {
    const text = formatTable(columns, [{ id: 'a', name: 'Alpha' }, { id: 'longer-id' }]);
    assert.equal(text, ['ID         NAME', 'a          Alpha', 'longer-id  -'].join('\n'));
  });

  it('says (none) for an empty list', () => {
    assert.equal(formatTable(columns, []), '(none)');
  });

  it('keeps control characters from the server out of the terminal', () => {
    assert.equal(cellText('evil\u001b[2Jname\nnext'), 'evil [2Jname next');
  });

  it('clips long cells', () => {
    const cell = cellText('x'.repeat(200));
    assert.equal([...cell].length, 80);
    assert.ok(cell.endsWith('…'));
  });
});

describe('formatFields', () => {
  it('aligns the values after the keys', () => {
    assert.equal(
      formatFields([
        ['ID', 1],
        ['Long name', null],
      ]),
      'ID:        1\nLong name: -',
    );
  });
});

describe('formatTime', () => {
  it('shows ISO times to the second', () => {
    assert.equal(formatTime('2026-11-23T10:57:27.123Z'), '2026-11-23 10:57:27Z');
    assert.equal(formatTime(null), '-');
    assert.equal(formatTime('soon'), 'soon');
  });
});
