import {
  type SiemField,
  type SiemFieldInput,
  SiemFieldList,
  siemInteger,
  siemObject,
  siemPort,
  siemText,
} from '@bulwark/protocol';

/**
 * Log inspection events (agent/rule-match-event.ts) in CEF/LEEF terms: the raw line is
 * `details.fullLog`, the rule's description `ruleDescription`, the syslog program `programName`,
 * where the line came from `location`, and the decoded OSSEC fields (srcip, dstuser, ...)
 * `details.fields`. docs/forwarding.md keeps the table.
 */
export function loginspectSiemFields({ details }: SiemFieldInput): readonly SiemField[] {
  const fields = siemObject(details.fields) ?? {};
  const out = new SiemFieldList();
  out.add('src', 'src', siemText(fields.srcip));
  out.add('spt', 'srcPort', siemPort(fields.srcport));
  out.add('dst', 'dst', siemText(fields.dstip));
  out.add('dpt', 'dstPort', siemPort(fields.dstport));
  out.add('suser', 'usrName', siemText(fields.srcuser));
  out.add('duser', 'dstUsrName', siemText(fields.dstuser) ?? siemText(fields.user));
  out.add('sproc', 'programName', siemText(details.programName));
  out.add('shost', 'srcHostName', siemText(details.hostname));
  out.add('cs3', 'location', siemText(details.location), 'location');
  out.add('cs4', 'ruleName', siemText(details.ruleDescription), 'ruleName');
  out.add('cn2', 'ruleLevel', siemInteger(details.level), 'ruleLevel');
  out.add('rawEvent', 'rawEvent', siemText(details.fullLog));
  return out.fields;
}
