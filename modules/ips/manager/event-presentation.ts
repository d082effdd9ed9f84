import {
  type AgentEvent,
  type EventPresentation,
  type SiemField,
  type SiemFieldInput,
  SiemFieldList,
  siemInteger,
  siemText,
} from '@bulwark/protocol';

/** "Reset: HTTP URI too long (bw-1000001) from 10.0.0.2 ×3". */
export function presentIpsEvent(event: AgentEvent): EventPresentation {
  const d = event.details ?? {};
  const name = typeof d.rule === 'string' ? d.rule : (event.ruleId ?? 'IPS rule');
  const id = event.ruleId && event.ruleId !== name ? ` (${event.ruleId})` : '';
  const from = typeof d.source === 'string' ? ` from ${d.source}` : '';
  const count = typeof d.repeatCount === 'number' && d.repeatCount > 1 ? ` ×${d.repeatCount}` : '';
  return { title: `${event.action ?? 'IPS'}: ${name}${id}${from}${count}` };
}

/** IPS events in CEF/LEEF terms. */
export function ipsSiemFields({ details }: SiemFieldInput): readonly SiemField[] {
  const out = new SiemFieldList();
  out.add('src', 'src', siemText(details.source));
  out.add('dst', 'dst', siemText(details.destination));
  out.add('spt', 'srcPort', siemInteger(details.sourcePort));
  out.add('dpt', 'dstPort', siemInteger(details.destinationPort));
  out.add('proto', 'proto', siemText(details.protocol));
  out.add('cnt', 'totalCount', siemInteger(details.repeatCount));
  out.add('cs4', 'ruleName', siemText(details.rule), 'ruleName');
  out.add('cs3', 'matchedBuffer', siemText(details.buffer), 'matchedBuffer');
  out.add('cs5', 'evidence', siemText(details.evidence), 'evidence');
  return out.fields;
}
