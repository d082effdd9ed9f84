/**
 * One Suricata rule, parsed into what the matcher evaluates. A rule that uses anything the
 * engine cannot evaluate in full is refused whole with a counted class (`unsupported-keyword:
 * byte_test`, `regex-unsafe`...); a refused rule is never run in part.
 */
import type { FlowDirection } from '@bulwark/traffic/engine';
import type { BufferName } from './suricata-buffers.js';
import { type AddressMatcher, type PortMatcher, parseAddressSpec, parsePortSpec } from './suricata-header.js';
import { parseOptions } from './suricata-options.js';
import type { NumericTest } from './suricata-text.js';
import { type Parsed, splitOptions, splitRule } from './suricata-text.js';
import type { Transform } from './suricata-transforms.js';

export interface ContentCondition {
  readonly kind: 'content';
  /** The bytes as a latin1 string, and in ASCII lower case for nocase and the prefilter. */
  readonly bytes: string;
  readonly lower: string;
  nocase: boolean;
  readonly negated: boolean;
  offset?: number;
  depth?: number;
  distance?: number;
  within?: number;
  startsWith: boolean;
  endsWith: boolean;
  fastPattern: boolean;
}

export interface PcreCondition {
  readonly kind: 'pcre';
  readonly regex: RegExp;
  readonly negated: boolean;
  readonly relative: boolean;
}

export interface IsDataAtCondition {
  readonly kind: 'isdataat';
  readonly position: number;
  readonly relative: boolean;
  readonly negated: boolean;
}

export interface SizeCondition {
  readonly kind: 'bsize';
  readonly test: NumericTest;
}

export type Condition = ContentCondition | PcreCondition | IsDataAtCondition | SizeCondition;

/** Conditions on one buffer, in rule order (relative modifiers chain within a buffer). */
export interface BufferConditions {
  buffer: BufferName;
  /** Transforms applied to the buffer before its conditions read it (dotprefix, url_decode...). */
  readonly transforms: readonly Transform[];
  readonly conditions: Condition[];
}

export interface Threshold {
  readonly type: 'limit' | 'threshold' | 'both' | 'detection_filter';
  readonly track: 'by_src' | 'by_dst' | 'by_rule' | 'by_both';
  readonly count: number;
  readonly seconds: number;
}

export interface FlowbitOp {
  readonly op: 'set' | 'unset' | 'toggle' | 'isset' | 'isnotset';
  readonly names: readonly string[];
  /** `a|b`: any of them; `a&b` or one name: all of them. */
  readonly any: boolean;
}

export interface SuricataRule {
  readonly action: 'alert' | 'drop' | 'reject';
  readonly protocol: 'tcp' | 'udp' | 'ip' | 'http' | 'tls' | 'dns';
  readonly source: AddressMatcher;
  readonly sourcePorts: PortMatcher;
  readonly destination: AddressMatcher;
  readonly destinationPorts: PortMatcher;
  readonly bidirectional: boolean;
  readonly options: RuleOptions;
}

export interface RuleOptions {
  msg?: string;
  sid?: number;
  rev?: number;
  classtype?: string;
  priority?: number;
  established?: boolean;
  direction?: FlowDirection;
  readonly flowbits: FlowbitOp[];
  noalert: boolean;
  thresholds: Threshold[];
  readonly buffers: BufferConditions[];
  dsize?: NumericTest;
  urilen?: { readonly test: NumericTest; readonly raw: boolean };
  /** `file_data` seen: its buffer depends on the flow direction, settled after all options. */
  fileData: boolean;
}

export type RuleParse =
  | { readonly ok: true; readonly rule: SuricataRule }
  | { readonly ok: false; readonly reasonClass: string; readonly reason: string };

const ACTIONS = new Set(['alert', 'drop', 'reject']);
const PROTOCOLS = new Set(['tcp', 'udp', 'ip', 'http', 'tls', 'dns']);
/** Protocols Suricata knows that this engine does not parse (it sees TCP and UDP, and the app layers above). */
const KNOWN_PROTOCOLS = new Set([
  'icmp',
  'ftp',
  'ftp-data',
  'smtp',
  'smb',
  'ssh',
  'tcp-pkt',
  'tcp-stream',
  'dcerpc',
  'nfs',
  'krb5',
  'dhcp',
  'snmp',
  'sip',
  'rdp',
  'mqtt',
  'modbus',
  'dnp3',
  'enip',
  'imap',
  'pop3',
  'ntp',
  'ikev2',
  'tftp',
  'http2',
  'rfb',
  'ssl',
  'quic',
  'pkthdr',
]);

export function parseSuricataRule(text: string, variables: Readonly<Record<string, string>>): RuleParse {
  const refuse = (reasonClass: string, reason: string): RuleParse => ({ ok: false, reasonClass, reason });
  if (text.length > 65_536) return refuse('syntax', 'the rule is longer than 64 KiB');
  const parts = splitRule(text);
  if (!parts.ok) return refuse('syntax', parts.message);
  const words = parts.value.header.split(/\s+/);
  if (words.length !== 7)
    return refuse(
      'syntax',
      `the header has ${words.length} words; it is "action protocol source ports -> destination ports"`,
    );
  const [action, protocol, src, srcPorts, arrow, dst, dstPorts] = words as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!ACTIONS.has(action)) {
    return /^[a-z]+$/.test(action) && action.length < 20
      ? refuse(`unsupported-action:${action}`, `the action "${action}"`)
      : refuse('syntax', 'the rule does not start with an action');
  }
  if (!PROTOCOLS.has(protocol)) {
    return KNOWN_PROTOCOLS.has(protocol)
      ? refuse(`unsupported-protocol:${protocol}`, `the protocol "${protocol}": the traffic engine does not parse it`)
      : refuse('syntax', `the unknown protocol "${protocol.slice(0, 30)}"`);
  }
  if (arrow !== '->' && arrow !== '<>')
    return refuse('syntax', `"${arrow.slice(0, 10)}" where the direction (-> or <>) belongs`);
  const header = (spec: string, parse: typeof parseAddressSpec | typeof parsePortSpec) => {
    const r = parse(spec, variables);
    return r;
  };
  const source = header(src, parseAddressSpec) as Parsed<AddressMatcher>;
  const destination = header(dst, parseAddressSpec) as Parsed<AddressMatcher>;
  const sourcePorts = header(srcPorts, parsePortSpec) as Parsed<PortMatcher>;
  const destinationPorts = header(dstPorts, parsePortSpec) as Parsed<PortMatcher>;
  for (const r of [source, destination, sourcePorts, destinationPorts]) {
    if (!r.ok)
      return refuse(r.message.startsWith('undefined variable') ? 'undefined-variable' : 'invalid:header', r.message);
  }
  const options = splitOptions(parts.value.options);
  if (!options.ok) return refuse('syntax', options.message);
  const parsed = parseOptions(options.value, protocol);
  if (!parsed.ok) return parsed;
  return {
    ok: true,
    rule: {
      action: action as SuricataRule['action'],
      protocol: protocol as SuricataRule['protocol'],
      source: (source as { value: AddressMatcher }).value,
      destination: (destination as { value: AddressMatcher }).value,
      sourcePorts: (sourcePorts as { value: PortMatcher }).value,
      destinationPorts: (destinationPorts as { value: PortMatcher }).value,
      bidirectional: arrow === '<>',
      options: parsed.options,
    },
  };
}
