/**
 * What an imported .rules file becomes before it reaches the engine: one `IpsRule` per rule
 * (`sid:<sid>`, named after its msg), as the manager's import does. Shared by the ET Open
 * conformance run and the benchmarks; lines that are not even a rule with a sid are reported.
 */
import type { IpsRule } from '../engine/index.js';
import { splitRulesFile } from '../engine/index.js';

/** Suricata's stock address and port groups (suricata.yaml), so ET rules resolve their variables. */
export const SURICATA_DEFAULT_VARIABLES: Readonly<Record<string, string>> = {
  HOME_NET: '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]',
  EXTERNAL_NET: '!$HOME_NET',
  HTTP_SERVERS: '$HOME_NET',
  SMTP_SERVERS: '$HOME_NET',
  SQL_SERVERS: '$HOME_NET',
  DNS_SERVERS: '$HOME_NET',
  TELNET_SERVERS: '$HOME_NET',
  AIM_SERVERS: '$EXTERNAL_NET',
  DC_SERVERS: '$HOME_NET',
  DNP3_SERVER: '$HOME_NET',
  DNP3_CLIENT: '$HOME_NET',
  MODBUS_CLIENT: '$HOME_NET',
  MODBUS_SERVER: '$HOME_NET',
  ENIP_CLIENT: '$HOME_NET',
  ENIP_SERVER: '$HOME_NET',
  HTTP_PORTS: '80',
  SHELLCODE_PORTS: '!80',
  ORACLE_PORTS: '1521',
  SSH_PORTS: '22',
  DNP3_PORTS: '20000',
  MODBUS_PORTS: '502',
  FILE_DATA_PORTS: '[$HTTP_PORTS,110,143]',
  FTP_PORTS: '21',
  GENEVE_PORTS: '6081',
  VXLAN_PORTS: '4789',
  TEREDO_PORTS: '3544',
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
