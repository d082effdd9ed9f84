import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { parseXml, type RulesetInput, type XmlElement } from '../engine/index.js';

/**
 * Reads an OSSEC source tree or installation (`etc/ossec-server.conf` or `etc/ossec.conf`,
 * `etc/decoder.xml`, `etc/rules/`) into the loader's input in the order OSSEC's analysisd loads
 * it: the decoder files named in `<rules><decoder>` (default `etc/decoder.xml`), then the rule
 * files of `<rules><include>`/`<rule>` in the order the configuration lists them. A file the
 * configuration names but the tree lacks is reported, not skipped silently.
 */
export interface OssecTree {
  readonly input: RulesetInput;
  readonly config: string;
  /** Files the configuration names that are not in the tree. */
  readonly missing: string[];
}

const CONFIG_NAMES = ['etc/ossec-server.conf', 'etc/ossec.conf', 'ossec-server.conf', 'ossec.conf'];

function collect(elements: readonly XmlElement[], name: string, out: XmlElement[]): void {
  for (const e of elements) {
    if (e.name === name) out.push(e);
    collect(e.children, name, out);
  }
}

/** Where a name of the configuration is: absolute, else under the tree's etc/rules or etc/. */
function locate(root: string, name: string, kind: 'rule' | 'decoder'): string | undefined {
  if (isAbsolute(name)) {
    // An installed path (/var/ossec/etc/decoder.xml): look for the same file name in the tree.
    return locate(root, basename(name), kind) ?? (existsSync(name) ? name : undefined);
  }
  const dirs = kind === 'rule' ? ['etc/rules', 'rules', 'etc', '.'] : ['etc', 'etc/decoders', 'decoders', '.'];
  for (const d of dirs) {
    const p = join(root, d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function readOssecTree(root: string): OssecTree | { error: string } {
  const config = CONFIG_NAMES.map((n) => join(root, n)).find((p) => existsSync(p));
  if (config === undefined) return { error: `no ${CONFIG_NAMES.join(' or ')} under ${root}` };
  const parsed = parseXml(readFileSync(config, 'utf8'));
  if (!parsed.ok) return { error: `${config}:${parsed.line}: ${parsed.message}` };
  const blocks: XmlElement[] = [];
  collect(parsed.elements, 'rules', blocks);
  const decoderNames: string[] = [];
  const ruleNames: string[] = [];
  for (const b of blocks) {
    for (const c of b.children) {
      const name = c.text.trim();
      if (name === '') continue;
      if (c.name === 'include' || c.name === 'rule') ruleNames.push(name);
      else if (c.name === 'decoder') decoderNames.push(name);
    }
  }
  // analysisd reads etc/decoder.xml when the configuration names no decoder file.
  if (decoderNames.length === 0) decoderNames.push('decoder.xml');
  const missing: string[] = [];
  const read = (names: string[], kind: 'rule' | 'decoder'): { name: string; content: string }[] =>
    names.flatMap((n) => {
      const path = locate(root, n, kind);
      if (path === undefined) {
        missing.push(`${kind} file ${n}`);
        return [];
      }
      return [{ name: path, content: readFileSync(path, 'utf8') }];
    });
  return { input: { decoders: read(decoderNames, 'decoder'), rules: read(ruleNames, 'rule') }, config, missing };
}
