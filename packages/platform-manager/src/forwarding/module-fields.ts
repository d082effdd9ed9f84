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

/** Log inspection decodes OSSEC-style fields; the usual ones have CEF/LEEF homes. */
function logInspectionFields(details: Details, out: FieldList): void {
  const fields = object(details.fields) ?? details;
  out.add('src', 'src', text(fields.srcip));
  out.add('dst', 'dst', text(fields.dstip));
  out.add('suser', 'usrName', text(fields.srcuser));
  out.add('duser', 'dstUsrName', text(fields.dstuser) ?? text(fields.user));
  out.add('sproc', 'programName', text(details.programName) ?? text(fields.program_name));
  out.add('cs3', 'location', text(details.location) ?? text(fields.location), 'location');
  out.add('cs4', 'ruleName', text(details.ruleDescription) ?? text(details.description), 'ruleName');
  out.add('rawEvent', 'rawEvent', text(details.fullLog) ?? text(details.log) ?? text(fields.full_log));
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
