import type { IpsRule } from '../engine/ips-engine-contract.js';

/** One rule longer than this (characters) is refused: the rule schema's limit on a rule body. */
export const MAX_SURICATA_RULE_CHARS = 16_384;
/** Lines joined by a trailing backslash into one rule, at most. */
export const MAX_CONTINUATION_LINES = 64;

const ACTIONS = new Set(['alert', 'drop', 'reject', 'rejectsrc', 'rejectdst', 'rejectboth', 'pass']);
const UDP_PROTOCOLS = new Set(['udp', 'dns', 'tftp', 'ntp', 'dhcp', 'snmp', 'sip', 'krb5', 'ikev2', 'ike']);
const NAME_LIMIT = 512;

export interface SuricataRuleText {
  /** 1-based line where the rule starts. */
  readonly line: number;
  readonly text: string;
}

/** Rule texts of a .rules file, continuation lines joined; comments and blank lines counted. */
export function splitRuleFile(text: string): { rules: SuricataRuleText[]; skippedLines: number } {
  const lines = text.split(/\r?\n/);
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const rules: SuricataRuleText[] = [];
  let skippedLines = 0;
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let joined = (lines[i] ?? '').trim();
    let joins = 0;
    while (joined.endsWith('\\') && i + 1 < lines.length && joins < MAX_CONTINUATION_LINES) {
      joined = `${joined.slice(0, -1)}${(lines[++i] ?? '').trim()}`;
      joins++;
    }
    if (joined === '' || joined.startsWith('#')) {
      skippedLines += i - start + 1;
      continue;
    }
    rules.push({ line: start + 1, text: joined });
  }
  return { rules, skippedLines };
}

/** The options of a rule body `(k:v; k; …)` in order; quoted values keep their escapes. */
export function ruleOptions(body: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\' && i + 1 < body.length) {
      current += c + (body[++i] as string);
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      push(current);
      current = '';
      continue;
    }
    current += c;
  }
  push(current);
  return out;

  function push(option: string): void {
    const trimmed = option.trim();
    if (trimmed === '') return;
    const colon = trimmed.indexOf(':');
    if (colon < 0) out.push([trimmed.toLowerCase(), '']);
    else out.push([trimmed.slice(0, colon).trim().toLowerCase(), trimmed.slice(colon + 1).trim()]);
  }
}

function unquote(value: string): string {
  const inner = value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  return inner.replace(/\\(.)/g, '$1');
}

const SEVERITY_BY_PRIORITY: Readonly<Record<string, IpsRule['severity']>> = {
  '1': 'high',
  '2': 'medium',
  '3': 'low',
  '4': 'info',
};
const SEVERITY_BY_SIGNATURE_SEVERITY: Readonly<Record<string, IpsRule['severity']>> = {
  critical: 'critical',
  major: 'high',
  minor: 'low',
  informational: 'info',
};

function severityOf(options: readonly [string, string][]): IpsRule['severity'] {
  const priority = options.find(([k]) => k === 'priority')?.[1];
  if (priority !== undefined && SEVERITY_BY_PRIORITY[priority]) return SEVERITY_BY_PRIORITY[priority];
  for (const [k, v] of options) {
    if (k !== 'metadata') continue;
    const m = /signature_severity\s+(\w+)/i.exec(v);
    const s = m?.[1] ? SEVERITY_BY_SIGNATURE_SEVERITY[m[1].toLowerCase()] : undefined;
    if (s) return s;
  }
  return 'medium';
}

/** Destination ports of the header when they are plain numbers; [] (every port) otherwise. */
function literalPorts(spec: string): number[] {
  const inner = spec.startsWith('[') && spec.endsWith(']') ? spec.slice(1, -1) : spec;
  const parts = inner.split(',').map((p) => p.trim());
  if (parts.length > 64 || !parts.every((p) => /^\d{1,5}$/.test(p))) return [];
  const ports = parts.map(Number);
  return ports.every((p) => p >= 1 && p <= 65_535) ? [...new Set(ports)] : [];
}

export type SuricataReadResult = { ok: true; rule: IpsRule } | { ok: false; id?: string; reason: string };

/**
 * One Suricata rule as a catalogue rule: id `sid:<sid>`, name from `msg`, severity from
 * `priority` (or ET's `signature_severity`), the text unmodified as its detection. Only what the
 * catalogue needs is read here; whether the engine can evaluate the rule in full is the engine's
 * call (compileIpsRules), made before anything is stored.
 */
export function readSuricataRule(text: string): SuricataReadResult {
  if (text.length > MAX_SURICATA_RULE_CHARS)
    return { ok: false, reason: `rule too long: ${text.length} characters, at most ${MAX_SURICATA_RULE_CHARS}` };
  const open = text.indexOf('(');
  if (open < 0 || !text.endsWith(')')) return { ok: false, reason: 'not a rule: expected "header (options)"' };
  const header = text.slice(0, open).trim().split(/\s+/);
  const options = ruleOptions(text.slice(open + 1, -1));
  const sidText = options.find(([k]) => k === 'sid')?.[1];
  const id = sidText !== undefined && /^\d{1,10}$/.test(sidText) ? `sid:${Number(sidText)}` : undefined;
  if (id === undefined) return { ok: false, reason: `no usable sid: ${JSON.stringify(sidText ?? null)}` };
  const [action = '', protocol = '', , , , , destinationPorts = ''] = header;
  if (!ACTIONS.has(action)) return { ok: false, id, reason: `unknown action: ${JSON.stringify(action)}` };
  if (header.length !== 7)
    return {
      ok: false,
      id,
      reason: `header: expected 7 fields (action protocol source port direction destination port), got ${header.length}`,
    };
  const msg = unquote(options.find(([k]) => k === 'msg')?.[1] ?? '');
  const rev = options.find(([k]) => k === 'rev')?.[1];
  const classtype = options.find(([k]) => k === 'classtype')?.[1];
  const references = options.filter(([k]) => k === 'reference').map(([, v]) => v);
  const description = [
    `Imported Suricata rule ${id}${rev ? ` rev ${rev}` : ''}${classtype ? `, classtype ${classtype}` : ''}.`,
    ...(references.length > 0 ? [`References: ${references.join(', ')}.`] : []),
  ]
    .join(' ')
    .slice(0, 8192);
  const cve = [
    ...new Set(
      references.flatMap((r) => {
        const m = /^cve\s*,\s*(?:CVE-)?(\d{4}-\d{4,})$/i.exec(r);
        return m ? [`CVE-${m[1]}`] : [];
      }),
    ),
  ].slice(0, 32);
  return {
    ok: true,
    rule: {
      id,
      format: 'suricata',
      name: (msg || id).slice(0, NAME_LIMIT),
      description,
      severity: severityOf(options),
      ...(cve.length > 0 ? { cve } : {}),
      applicationType: {
        name: (protocol || 'any').slice(0, 64),
        protocol: UDP_PROTOCOLS.has(protocol) ? 'udp' : 'tcp',
        ports: literalPorts(destinationPorts),
      },
      detection: { kind: 'suricata', rule: text },
    },
  };
}
