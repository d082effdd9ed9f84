import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { csvFields, importList, LIST_FORMATS, parseReputationFeed } from './list-importers.js';
import { describeTarget, parseTarget } from './target-pattern.js';

const shown = (text: string, format: Parameters<typeof importList>[1], mapping?: Parameters<typeof importList>[2]) =>
  importList(text, format, mapping).entries.map((e) => describeTarget(e.pattern));

describe('list importers', () => {
  it('plain host lists: comments, blank lines, wildcards; errors with their line', () => {
    const r = importList(
      '# blocked\nbad.example\n\n*.ads.example  # trailing comment\nnot a host\n.x.example\n',
      'plain',
    );
    assert.deepEqual(
      r.entries.map((e) => [e.line, describeTarget(e.pattern)]),
      [
        [2, 'bad.example'],
        [4, '*.ads.example'],
        [6, '.x.example'],
      ],
    );
    assert.deepEqual(r.errors, [{ line: 5, message: '"not a host" holds white space' }]);
    assert.equal(r.skipped, 3);
  });

  it('hosts files: the names after the address, localhost skipped', () => {
    const text = '127.0.0.1 localhost\n0.0.0.0 ads.example tracker.example\n::1 ip6-localhost\n0.0.0.0\nbad.example\n';
    const r = importList(text, 'hosts');
    assert.deepEqual(
      r.entries.map((e) => describeTarget(e.pattern)),
      ['ads.example', 'tracker.example'],
    );
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [4, 5],
    );
  });

  it('URL lists', () => {
    assert.deepEqual(shown('http://Files.Example:80/dl/\nhttps://x.example/a.exe\nx.example\n', 'urls'), [
      'files.example/dl/',
      'x.example/a.exe',
      'x.example',
    ]);
    assert.equal(importList('203.0.113.0/24\n', 'urls').errorCount, 1);
  });

  it('CSV with a column mapping by number and by name, quoted fields', () => {
    const text =
      'id,url,score,cat\n1,"http://a.example/x/",80,Malware\n2,b.example,abc,\n3,c.example,5,"news, local"\n';
    const r = importList(text, 'csv', { target: 'url', risk: 'score', category: 'cat' });
    assert.deepEqual(
      r.entries.map((e) => [describeTarget(e.pattern), e.risk, e.category]),
      [['a.example/x/', 80, 'malware']],
    );
    assert.equal(r.errors[0]?.line, 3);
    assert.match(r.errors[0]?.message ?? '', /risk "abc"/);
    assert.equal(r.errors[1]?.line, 4);
    assert.match(r.errors[1]?.message ?? '', /category "news, local"/);
    const byNumber = importList('a.example,10\n', 'csv', { target: 1, risk: 2 });
    assert.equal(byNumber.entries[0]?.risk, 10);
    assert.match(importList('x,y\n', 'csv', { target: 'url' }).errors[0]?.message ?? '', /no column named "url"/);
  });

  it('reputation feeds: default column names, or a "# columns:" mapping', () => {
    assert.equal(parseReputationFeed('target,risk,category\na.example,90,malware\n').entries.length, 1);
    const mapped = parseReputationFeed('# columns: target=host,risk=score\nscore,host\n70,b.example\n');
    assert.deepEqual(
      mapped.entries.map((e) => [describeTarget(e.pattern), e.risk]),
      [['b.example', 70]],
    );
  });

  it('csvFields agrees with a writer for any fields', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', ' ', 'b') }), { minLength: 1, maxLength: 6 }),
        (fields) => {
          const line = fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(',');
          const parsed = csvFields(line);
          assert.ok(parsed.ok);
          assert.deepEqual(parsed.fields, fields);
        },
      ),
    );
  });

  it('garbage never throws, and every line is an entry, an error or skipped', () => {
    fc.assert(
      fc.property(
        fc.string({
          maxLength: 400,
          unit: fc.constantFrom(
            'a',
            '.',
            '*',
            '/',
            ':',
            '#',
            ' ',
            '\n',
            ',',
            '"',
            '0',
            '1',
            '\u00e9',
            '\r',
            '[',
            '%',
            '\ufeff',
          ),
        }),
        fc.constantFrom(...LIST_FORMATS),
        (text, format) => {
          const r = importList(text, format, format === 'csv' ? { target: 1, risk: 2 } : undefined);
          const lines = text.split(/\r?\n/).length;
          const accounted = new Set([...r.entries.map((e) => e.line), ...r.errors.map((e) => e.line)]);
          assert.ok(accounted.size + r.skipped <= lines + 1);
          for (const l of accounted) assert.ok(l >= 1 && l <= lines);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parseTarget never throws, and what it accepts describes itself back', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const parsed = parseTarget(text);
        if (parsed.ok) {
          const again = parseTarget(describeTarget(parsed.value));
          assert.ok(again.ok);
          assert.equal(describeTarget(again.value), describeTarget(parsed.value));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
