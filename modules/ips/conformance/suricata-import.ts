/**
 * What an imported .rules file becomes before it reaches the engine: one `IpsRule` per rule
 * (`sid:<sid>`, named after its msg), as the manager's import does. Shared by the ET Open
 * conformance run and the benchmarks; lines that are not even a rule with a sid are reported.
 */
import type { IpsRule } from '../engine/index.js';
import { SURICATA_VARIABLE_GROUPS, splitRulesFile } from '../engine/index.js';

/** Suricata's stock address and port groups (suricata.yaml), so ET rules resolve their variables. */
export const SURICATA_DEFAULT_VARIABLES: Readonly<Record<string, string>> = {
  HOME_NET: '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]',
  EXTERNAL_NET: '!$HOME_NET',
  HTTP_PORTS: '80',
  SSH_PORTS: '22',
  ...SURICATA_VARIABLE_GROUPS,
};

export interface ImportedRules {
  readonly rules: IpsRule[];
  /** Rule lines without a sid the import could read (counted as refused by the caller). */
  readonly unreadable: { readonly line: number; readonly text: string }[];
}

export function importRulesFile(text: string): ImportedRules {
  const rules: IpsRule[] = [];
  const unreadable: { line: number; text: string }[] = [];
  for (const r of splitRulesFile(text)) {
    const sid = /[;(]\s*sid\s*:\s*(\d{1,10})\s*;/.exec(r.text);
    if (!sid) {
      unreadable.push({ line: r.line, text: r.text.slice(0, 120) });
      continue;
    }
    const msg = /[;(]\s*msg\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(r.text);
    const name = (msg?.[1] ?? `sid ${sid[1]}`).replace(/\\(.)/g, '$1').slice(0, 512) || `sid ${sid[1]}`;
    rules.push({
      id: `sid:${sid[1]}`,
      format: 'suricata',
      name,
      description: '',
      severity: 'medium',
      applicationType: { name: 'any', protocol: /^\S+\s+(udp|dns)\s/.test(r.text) ? 'udp' : 'tcp', ports: [] },
      detection: { kind: 'suricata', rule: r.text },
    });
  }
  return { rules, unreadable };
}
