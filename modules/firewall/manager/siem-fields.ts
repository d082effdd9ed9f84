import { type SiemField, type SiemFieldInput, SiemFieldList, siemInteger, siemText } from '@bulwark/protocol';

/** Firewall and reconnaissance events in CEF/LEEF terms (docs/forwarding.md keeps the table). */
export function firewallSiemFields({ type, details }: SiemFieldInput): readonly SiemField[] {
  const out = new SiemFieldList();
  out.add('src', 'src', siemText(details.source));
  out.add('dst', 'dst', siemText(details.destination));
  out.add('spt', 'srcPort', siemInteger(details.sourcePort));
  out.add('dpt', 'dstPort', siemInteger(details.destinationPort));
  out.add('proto', 'proto', siemText(details.protocol));
  const direction = siemText(details.direction);
  if (direction === 'inbound' || direction === 'outbound') {
    out.add('deviceDirection', 'direction', direction === 'inbound' ? 0 : 1);
    out.add(
      direction === 'inbound' ? 'deviceInboundInterface' : 'deviceOutboundInterface',
      'interface',
      siemText(details.interface),
    );
  }
  if (type === 'reconnaissance') {
    out.add('cs3', 'reconKind', siemText(details.kind), 'reconKind');
    out.add('cnt', 'totalPackets', siemInteger(details.count));
  } else {
    out.add('cnt', 'totalPackets', siemInteger(details.repeatCount));
    out.add('in', 'srcBytes', siemInteger(details.bytes));
    out.add('cs4', 'ruleName', siemText(details.rule), 'ruleName');
  }
  return out.fields;
}
