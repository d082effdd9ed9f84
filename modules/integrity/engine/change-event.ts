import type { NewEvent } from '@bulwark/protocol';
import type { Change } from './baseline-diff.js';
import { displayPath, isUtf8, pathBuffer } from './byte-path.js';
import type { CompiledRule } from './rule.js';

export const MODULE_ID = 'integrity';

/** How a change was noticed; shown in the event so a person knows whether it was live. */
export type ChangeSource = 'scan' | 'scheduled-scan' | 'start-scan' | 'real-time';

const VERBS = { created: 'Created', updated: 'Changed', deleted: 'Deleted', renamed: 'Renamed' } as const;
const NOUNS: Readonly<Record<string, string>> = {
  files: 'file',
  packages: 'package',
  services: 'service',
  ports: 'listening port',
  users: 'user',
  groups: 'group',
  'kernel-modules': 'kernel module',
  processes: 'process',
};

function entityLabel(rule: CompiledRule, key: string): string {
  return rule.entity.kind === 'files' ? displayPath(key) : key;
}

function entityDetails(rule: CompiledRule, key: string): Record<string, unknown> {
  if (rule.entity.kind !== 'files') return { kind: rule.entity.kind, name: key };
  const out: Record<string, unknown> = { kind: 'files', path: displayPath(key) };
  // A name that is not UTF-8 is also given as exact bytes, so it can be found on disk.
  if (!isUtf8(key)) out.pathBase64 = pathBuffer(key).toString('base64');
  return out;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One change → one event; severity comes from the rule. */
export function changeEvent(rule: CompiledRule, change: Change, source: ChangeSource, time: Date): NewEvent {
  const noun = NOUNS[rule.entity.kind] ?? 'entity';
  const label = entityLabel(rule, change.key);
  const what =
    change.kind === 'renamed' && change.fromKey !== undefined
      ? `${entityLabel(rule, change.fromKey)} → ${label}`
      : label;
  const attributes = change.kind === 'updated' ? ` (${change.changes.map((c) => c.attribute).join(', ')})` : '';
  const summary = clip(`${VERBS[change.kind]} ${noun} ${clip(what, 1500)}${attributes} — ${rule.name}`, 2048);
  const details: Record<string, unknown> = {
    rule: { id: rule.id, name: rule.name },
    entity: entityDetails(rule, change.key),
    changes: change.changes,
    source,
  };
  if (change.fromKey !== undefined) details.from = entityDetails(rule, change.fromKey);
  return {
    module: MODULE_ID,
    type: change.kind,
    severity: rule.severity,
    ruleId: rule.id,
    action: 'Log',
    summary,
    details,
    time: time.toISOString(),
  };
}
