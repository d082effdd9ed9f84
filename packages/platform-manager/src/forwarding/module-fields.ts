import type { ForwardedEvent } from './forwarded-event.js';

/**
 * A module-specific field lifted out of `details` into a SIEM's own vocabulary: `cef` is a CEF
 * extension key (or a custom-string slot with its label), `leef` a LEEF attribute. The whole
 * `details` object is always sent as well (JSON), so nothing is lost for fields not mapped here.
 * docs/forwarding.md is the table of these mappings; keep the two in step.
 */
export interface MappedField {
  readonly cef: string;
  readonly cefLabel?: string;
  readonly leef: string;
  readonly value: string | number;
}

type Details = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

function object(value: unknown): Details | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Details) : undefined;
}

class FieldList {
  readonly fields: MappedField[] = [];
  add(cef: string, leef: string, value: string | number | undefined, cefLabel?: string): void {
    if (value === undefined) return;
    this.fields.push(cefLabel === undefined ? { cef, leef, value } : { cef, leef, value, cefLabel });
  }
}

function firewallFields(event: ForwardedEvent, details: Details, out: FieldList): void {
  out.add('src', 'src', text(details.source));
  out.add('dst', 'dst', text(details.destination));
  out.add('spt', 'srcPort', integer(details.sourcePort));
  out.add('dpt', 'dstPort', integer(details.destinationPort));
  out.add('proto', 'proto', text(details.protocol));
  const direction = text(details.direction);
  if (direction === 'inbound' || direction === 'outbound') {
    out.add('deviceDirection', 'direction', direction === 'inbound' ? 0 : 1);
    out.add(
      direction === 'inbound' ? 'deviceInboundInterface' : 'deviceOutboundInterface',
      'interface',
      text(details.interface),
    );
  }
  if (event.type === 'reconnaissance') {
    out.add('cs3', 'reconKind', text(details.kind), 'reconKind');
    out.add('cnt', 'totalPackets', integer(details.count));
  } else {
    out.add('cnt', 'totalPackets', integer(details.repeatCount));
    out.add('in', 'srcBytes', integer(details.bytes));
    out.add('cs4', 'ruleName', text(details.rule), 'ruleName');
  }
}

function integrityFields(details: Details, out: FieldList): void {
  const entity = object(details.entity);
  if (entity?.kind === 'files') out.add('filePath', 'filePath', text(entity.path));
  else if (entity !== undefined)
    out.add('cs3', 'entity', text(entity.kind) && `${text(entity.kind)}:${text(entity.name) ?? ''}`, 'entity');
  const from = object(details.from);
  if (from?.kind === 'files') out.add('oldFilePath', 'oldFilePath', text(from.path));
  out.add('cs4', 'ruleName', text(object(details.rule)?.name), 'ruleName');
  out.add('cs5', 'detectionSource', text(details.source), 'detectionSource');
}

function port(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : integer(value);
  return n !== undefined && n >= 0 && n <= 65_535 ? n : undefined;
}

/**
 * Log inspection events (modules/loginspect/agent/rule-match-event.ts): the raw line in
 * `details.fullLog`, the rule's description in `ruleDescription`, the syslog program in
 * `programName`, where the line came from in `location` (file, systemd unit, `command:<name>`),
 * and the decoded OSSEC fields (srcip, dstuser, ...) in `details.fields`.
 */
function logInspectionFields(details: Details, out: FieldList): void {
  const fields = object(details.fields) ?? {};
  out.add('src', 'src', text(fields.srcip));
  out.add('spt', 'srcPort', port(fields.srcport));
  out.add('dst', 'dst', text(fields.dstip));
  out.add('dpt', 'dstPort', port(fields.dstport));
  out.add('suser', 'usrName', text(fields.srcuser));
  out.add('duser', 'dstUsrName', text(fields.dstuser) ?? text(fields.user));
  out.add('sproc', 'programName', text(details.programName));
  out.add('shost', 'srcHostName', text(details.hostname));
  out.add('cs3', 'location', text(details.location), 'location');
  out.add('cs4', 'ruleName', text(details.ruleDescription), 'ruleName');
  out.add('cn2', 'ruleLevel', integer(details.level), 'ruleLevel');
  out.add('rawEvent', 'rawEvent', text(details.fullLog));
}

/** Module-specific fields for an event, in a stable order; none for modules without a mapping. */
export function moduleFields(event: ForwardedEvent): readonly MappedField[] {
  const details = event.details ?? {};
  const out = new FieldList();
  switch (event.module) {
    case 'firewall':
      firewallFields(event, details, out);
      break;
    case 'integrity':
      integrityFields(details, out);
      break;
    case 'loginspect':
      logInspectionFields(details, out);
      break;
    default:
      break;
  }
  return out.fields;
}
