import { type SiemField, type SiemFieldInput, SiemFieldList, siemObject, siemText } from '@bulwark/protocol';

/** Integrity change events in CEF/LEEF terms (docs/forwarding.md keeps the table). */
export function integritySiemFields({ details }: SiemFieldInput): readonly SiemField[] {
  const out = new SiemFieldList();
  const entity = siemObject(details.entity);
  if (entity?.kind === 'files') out.add('filePath', 'filePath', siemText(entity.path));
  else if (entity !== undefined) {
    const kind = siemText(entity.kind);
    out.add('cs3', 'entity', kind && `${kind}:${siemText(entity.name) ?? ''}`, 'entity');
  }
  const from = siemObject(details.from);
  if (from?.kind === 'files') out.add('oldFilePath', 'oldFilePath', siemText(from.path));
  out.add('cs4', 'ruleName', siemText(siemObject(details.rule)?.name), 'ruleName');
  out.add('cs5', 'detectionSource', siemText(details.source), 'detectionSource');
  return out.fields;
}
