import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseXml, type XmlElement } from './xml.js';

test('reads several top-level elements, attributes, comments and significant spaces', () => {
  const r = parseXml(
    `<!-- head -->\n<var name="X">a|b</var>\n<group name="syslog,">\n  <rule id="1" level="3">\n    <match>^Evaluation finished. </match>\n  </rule>\n</group>\n`,
  );
  assert.ok(r.ok);
  assert.deepEqual(
    r.elements.map((e) => e.name),
    ['var', 'group'],
  );
  const rule = r.elements[1]?.children[0];
  assert.equal(rule?.attributes.id, '1');
  assert.equal(rule?.line, 4);
  assert.equal(rule?.children[0]?.text, '^Evaluation finished. ');
});

test('keeps a < that cannot start a tag, or is escaped, as text', () => {
  const r = parseXml(
    '<decoder name="d"><prematch>^\\<\\d+>\\s*id=</prematch><regex>\\<log>\\.+\\</log></regex></decoder>',
  );
  assert.ok(r.ok);
  assert.equal(r.elements[0]?.children[0]?.text, '^\\<\\d+>\\s*id=');
  assert.equal(r.elements[0]?.children[1]?.text, '\\<log>\\.+\\</log>');
});

test('reports structural errors with the line to fix', () => {
  const r = parseXml('<group name="x">\n<rule id="1">\n</group>');
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.message, /does not match <rule> opened at line 2/);
    assert.equal(r.line, 3);
  }
  const unclosed = parseXml('<group>\n<rule id="1">');
  assert.equal(unclosed.ok, false);
  assert.equal(parseXml('<a b=c></a>').ok, false);
});

test('property: never throws, and an error always carries a line inside the input', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom('<', '>', '/', '"', "'", '=', '!', '-', '?', 'a', 'b', ' ', '\n', '\\') }),
      (s) => {
        const r = parseXml(s);
        if (!r.ok) assert.ok(r.line >= 1 && r.line <= s.split('\n').length);
      },
    ),
    { numRuns: 2000 },
  );
});

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const text = fc.stringMatching(/^[a-zA-Z0-9 .:,|^$+*()\\[\]-]{0,12}$/).map((t) => t.trim());
interface Tree {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: Tree[];
}
function treeOfDepth(depth: number): fc.Arbitrary<Tree> {
  const children: fc.Arbitrary<Tree[]> =
    depth === 0 ? fc.constant<Tree[]>([]) : fc.array(treeOfDepth(depth - 1), { maxLength: 3 });
  return fc.record({
    name,
    attrs: fc.dictionary(name, fc.stringMatching(/^[a-zA-Z0-9 ,._-]{0,8}$/), { maxKeys: 2 }),
    text,
    children,
  });
}
const tree = treeOfDepth(2);

function render(t: Tree): string {
  const attrs = Object.entries(t.attrs)
    .map(([k, v]) => ` ${k}="${v}"`)
    .join('');
  const body = t.children.length > 0 ? t.children.map(render).join('\n') : t.text;
  return `<${t.name}${attrs}>${body}</${t.name}>`;
}

function same(t: Tree, e: XmlElement): void {
  assert.equal(e.name, t.name);
  assert.deepEqual(Object.entries(e.attributes).sort(), Object.entries(t.attrs).sort());
  assert.equal(e.children.length, t.children.length);
  if (t.children.length === 0) assert.equal(e.text, t.text);
  for (const [i, c] of t.children.entries()) same(c, e.children[i] as XmlElement);
}

test('property: rendered element trees read back to the same tree', () => {
  fc.assert(
    fc.property(fc.array(tree, { minLength: 1, maxLength: 3 }), (trees) => {
      const r = parseXml(trees.map(render).join('\n'));
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.equal(r.elements.length, trees.length);
      for (const [i, t] of trees.entries()) same(t, r.elements[i] as XmlElement);
    }),
    { numRuns: 300 },
  );
});
