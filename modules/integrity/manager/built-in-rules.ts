import { readFileSync } from 'node:fs';
import { describeIssues } from '@bulwark/protocol';
import { type IntegrityRule, validateRule } from '../engine/index.js';

/** The rule files shipped in rules/; each is `{ format, rules: [...] }`. */
const RULE_FILES = ['linux-server.json'] as const;
const FORMAT = 'bulwark-integrity-rules/1';

export type BuiltInRuleLoad =
  | { readonly ok: true; readonly rules: IntegrityRule[] }
  | { readonly ok: false; readonly message: string };

/** Reads and validates rule file content; errors name the file, the rule and the field. */
export function readRuleFile(name: string, text: string): BuiltInRuleLoad {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${name}: not JSON (${(error as Error).message})` };
  }
  const doc = document as { format?: unknown; rules?: unknown };
  if (doc?.format !== FORMAT) return { ok: false, message: `${name}: /format must be "${FORMAT}"` };
  if (!Array.isArray(doc.rules)) return { ok: false, message: `${name}: /rules must be an array` };
  const rules: IntegrityRule[] = [];
  const ids = new Set<string>();
  for (const [index, candidate] of doc.rules.entries()) {
    const r = validateRule(candidate);
    if (!r.ok) return { ok: false, message: `${name}: /rules/${index}: ${describeIssues(r.issues)}` };
    if (ids.has(r.rule.id)) return { ok: false, message: `${name}: /rules/${index}/id: duplicate id ${r.rule.id}` };
    ids.add(r.rule.id);
    rules.push(candidate as IntegrityRule);
  }
  return { ok: true, rules };
}

/** Built-in rules as authored (not compiled), loaded once; a broken shipped file is a bug and throws. */
export function loadBuiltInRules(): IntegrityRule[] {
  const out: IntegrityRule[] = [];
  for (const file of RULE_FILES) {
    const text = readFileSync(new URL(`../rules/${file}`, import.meta.url), 'utf8');
    const loaded = readRuleFile(file, text);
    if (!loaded.ok) throw new Error(`built-in integrity rules are invalid: ${loaded.message}`);
    out.push(...loaded.rules);
  }
  return out;
}
