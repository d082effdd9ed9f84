import type { AttributeValue, Entry } from './attributes.js';

/** One attribute that differs between the baseline and what was observed. */
export interface AttributeChange {
  readonly attribute: string;
  readonly before: AttributeValue;
  readonly after: AttributeValue;
}

export type ChangeKind = 'created' | 'updated' | 'deleted' | 'renamed';

export interface Change {
  readonly kind: ChangeKind;
  readonly key: string;
  /** For a rename: the key the entity had in the baseline. */
  readonly fromKey?: string;
  readonly before?: Entry;
  readonly after?: Entry;
  readonly changes: readonly AttributeChange[];
}

export function compareEntries(before: Entry, after: Entry, attributes: readonly string[]): AttributeChange[] {
  const changes: AttributeChange[] = [];
  // A directory's times move whenever an entry is added or removed; those entries are reported
  // themselves, so the directory's own times would only repeat them.
  const directories = before.attributes.type === 'directory' && after.attributes.type === 'directory';
  for (const attribute of attributes) {
    if (directories && (attribute === 'mtime' || attribute === 'ctime')) continue;
    const a = before.attributes[attribute] ?? null;
    const b = after.attributes[attribute] ?? null;
    if (a !== b) changes.push({ attribute, before: a, after: b });
  }
  return changes;
}

/**
 * Baseline vs observation → change list. An entity that disappeared under one key and appeared
 * under another with the same identity (device + inode for files, with unchanged size, mtime and
 * content) is one rename, not a delete and a create; without an inode, equal non-empty content
 * (sha256) pairs them.
 * `scope`, when given, limits deletions to keys it accepts (a real-time check of a few paths
 * must not report the rest of the baseline as deleted).
 */
export function diffBaseline(
  baseline: ReadonlyMap<string, Entry>,
  observed: ReadonlyMap<string, Entry>,
  attributes: readonly string[],
  scope?: (key: string) => boolean,
): Change[] {
  const changes: Change[] = [];
  const deleted: Entry[] = [];
  const created: Entry[] = [];
  for (const [key, before] of baseline) {
    if (scope && !scope(key)) continue;
    const after = observed.get(key);
    if (!after) deleted.push(before);
    else {
      const differences = compareEntries(before, after, attributes);
      if (differences.length > 0) changes.push({ kind: 'updated', key, before, after, changes: differences });
    }
  }
  for (const [key, after] of observed) if (!baseline.has(key)) created.push(after);

  const byIdentity = new Map<string, Entry>();
  for (const entry of deleted) {
    const identity = identityOf(entry);
    if (identity) byIdentity.set(identity, entry);
  }
  const renamedFrom = new Set<string>();
  for (const after of created) {
    const identity = identityOf(after);
    const before = identity ? byIdentity.get(identity) : undefined;
    if (before && !renamedFrom.has(before.key) && sameContent(before, after)) {
      renamedFrom.add(before.key);
      changes.push({
        kind: 'renamed',
        key: after.key,
        fromKey: before.key,
        before,
        after,
        changes: compareEntries(
          before,
          after,
          attributes.filter((a) => a !== 'ctime'),
        ),
      });
    } else {
      changes.push({ kind: 'created', key: after.key, after, changes: describe(after, attributes, 'after') });
    }
  }
  for (const before of deleted)
    if (!renamedFrom.has(before.key))
      changes.push({ kind: 'deleted', key: before.key, before, changes: describe(before, attributes, 'before') });
  return changes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * A freed inode number is soon reused by a new file; a rename keeps content and mtime, so a
 * deleted and a created entry that share an inode but not those are two separate changes.
 */
function sameContent(a: Entry, b: Entry): boolean {
  const x = a.attributes;
  const y = b.attributes;
  if (x.type !== y.type || x.size !== y.size || x.mtime !== y.mtime) return false;
  return x.sha256 === undefined || y.sha256 === undefined || x.sha256 === y.sha256;
}

function identityOf(entry: Entry): string | undefined {
  const { inode, device, sha256, size, type } = entry.attributes;
  if (typeof inode === 'number' && typeof device === 'number') return `i:${device}:${inode}`;
  if (type === 'file' && typeof sha256 === 'string' && typeof size === 'number' && size > 0) return `h:${sha256}`;
  return undefined;
}

function describe(entry: Entry, attributes: readonly string[], side: 'before' | 'after'): AttributeChange[] {
  return attributes
    .filter((a) => entry.attributes[a] !== undefined && entry.attributes[a] !== null)
    .map((attribute) => {
      const value = entry.attributes[attribute] ?? null;
      return side === 'after' ? { attribute, before: null, after: value } : { attribute, before: value, after: null };
    });
}
