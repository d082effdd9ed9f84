/**
 * A tolerant reader for the XML dialect of OSSEC/Wazuh rule and decoder files. Those files are
 * not well-formed documents: they have several top-level elements, `<var>` definitions beside
 * `<group>`, and text that real parsers reject. We read what OSSEC reads and report the first
 * structural error with its line so a user can fix the file.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** Concatenated text directly inside the element (trimmed only when it spans lines). */
  text: string;
  readonly line: number;
}

export type XmlResult =
  | { readonly ok: true; readonly elements: XmlElement[] }
  | { readonly ok: false; readonly message: string; readonly line: number };

const NAME_CHAR = /[A-Za-z0-9_.:-]/;

function closesOpenElement(source: string, at: number, stack: readonly XmlElement[]): boolean {
  const open = stack[stack.length - 1];
  return open !== undefined && source.startsWith(`</${open.name}>`, at);
}

export function parseXml(source: string): XmlResult {
  const roots: XmlElement[] = [];
  const stack: XmlElement[] = [];
  const texts: string[][] = [];
  let line = 1;
  let i = 0;
  const n = source.length;

  const advanceTo = (end: number): void => {
    for (let k = i; k < end; k++) if (source.charCodeAt(k) === 10) line++;
    i = end;
  };
  const fail = (message: string): XmlResult => ({ ok: false, message, line });

  while (i < n) {
    const lt = source.indexOf('<', i);
    if (lt === -1) {
      if (stack.length > 0) texts[texts.length - 1]?.push(source.slice(i));
      advanceTo(n);
      break;
    }
    if (lt > i) {
      if (stack.length > 0) texts[texts.length - 1]?.push(source.slice(i, lt));
      advanceTo(lt);
    }
    // OSSEC's reader treats a '<' that cannot start a tag, or one escaped by a backslash, as text
    // (patterns such as "^\<\d+>" and "\<log>\.+\</log>").
    const escaped = source[i - 1] === '\\';
    if (
      !/[A-Za-z_/!?]/.test(source[i + 1] ?? '') ||
      (escaped && source[i + 1] !== '/') ||
      (escaped && !closesOpenElement(source, i, stack))
    ) {
      if (stack.length > 0) texts[texts.length - 1]?.push('<');
      advanceTo(i + 1);
      continue;
    }
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i + 4);
      if (end === -1) return fail('unterminated comment');
      advanceTo(end + 3);
      continue;
    }
    if (source.startsWith('<?', i)) {
      const end = source.indexOf('?>', i + 2);
      if (end === -1) return fail('unterminated processing instruction');
      advanceTo(end + 2);
      continue;
    }
    if (source.startsWith('<![CDATA[', i)) {
      const end = source.indexOf(']]>', i + 9);
      if (end === -1) return fail('unterminated CDATA section');
      if (stack.length > 0) texts[texts.length - 1]?.push(source.slice(i + 9, end));
      advanceTo(end + 3);
      continue;
    }
    if (source.startsWith('<!', i)) {
      const end = source.indexOf('>', i + 2);
      if (end === -1) return fail('unterminated declaration');
      advanceTo(end + 1);
      continue;
    }
    if (source.charCodeAt(i + 1) === 47 /* / */) {
      const end = source.indexOf('>', i + 2);
      if (end === -1) return fail('unterminated closing tag');
      const name = source.slice(i + 2, end).trim();
      const open = stack.pop();
      const openTexts = texts.pop();
      if (!open || !openTexts) return fail(`closing tag </${name}> without an opening tag`);
      if (open.name !== name)
        return fail(`closing tag </${name}> does not match <${open.name}> opened at line ${open.line}`);
      // Spaces at the ends of one-line text are significant (e.g. a prematch ending in a space);
      // text that spans lines is trimmed.
      const raw = openTexts.join('');
      open.text = raw.includes('\n') ? raw.trim() : raw;
      advanceTo(end + 1);
      continue;
    }
    // Opening tag.
    const tagLine = line;
    let k = i + 1;
    while (k < n && NAME_CHAR.test(source[k] as string)) k++;
    const name = source.slice(i + 1, k);
    if (name.length === 0) return fail(`invalid character after '<'`);
    const attributes: Record<string, string> = {};
    let selfClosing = false;
    for (;;) {
      while (k < n && /\s/.test(source[k] as string)) k++;
      if (k >= n) return fail(`unterminated tag <${name}>`);
      const c = source[k];
      if (c === '>') {
        k++;
        break;
      }
      if (c === '/' && source[k + 1] === '>') {
        selfClosing = true;
        k += 2;
        break;
      }
      const attrStart = k;
      while (k < n && NAME_CHAR.test(source[k] as string)) k++;
      const attrName = source.slice(attrStart, k);
      if (attrName.length === 0) return fail(`invalid attribute in <${name}>`);
      while (k < n && /\s/.test(source[k] as string)) k++;
      if (source[k] !== '=') return fail(`attribute ${attrName} of <${name}> has no value`);
      k++;
      while (k < n && /\s/.test(source[k] as string)) k++;
      const quote = source[k];
      if (quote !== '"' && quote !== "'") return fail(`attribute ${attrName} of <${name}> is not quoted`);
      const close = source.indexOf(quote, k + 1);
      if (close === -1) return fail(`unterminated attribute ${attrName} of <${name}>`);
      attributes[attrName] = source.slice(k + 1, close);
      k = close + 1;
    }
    const element: XmlElement = { name, attributes, children: [], text: '', line: tagLine };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else roots.push(element);
    if (!selfClosing) {
      stack.push(element);
      texts.push([]);
    }
    advanceTo(k);
  }
  const unclosed = stack[stack.length - 1];
  if (unclosed) return { ok: false, message: `element <${unclosed.name}> is never closed`, line: unclosed.line };
  return { ok: true, elements: roots };
}
