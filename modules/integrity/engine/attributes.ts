/**
 * What can be compared for each kind of entity. Rules name attributes; "STANDARD" stands for
 * the metadata an attacker cannot change without it showing (everything but content hashes).
 */
export const FILE_HASHES = ['sha256', 'sha1', 'md5'] as const;
export type FileHash = (typeof FILE_HASHES)[number];

export const FILE_ATTRIBUTES = [
  ...FILE_HASHES,
  'type',
  'size',
  'mode',
  'uid',
  'gid',
  'mtime',
  'ctime',
  'inode',
  'nlink',
  'target',
] as const;
export type FileAttribute = (typeof FILE_ATTRIBUTES)[number];

export const STANDARD_FILE_ATTRIBUTES: readonly FileAttribute[] = [
  'type',
  'size',
  'mode',
  'uid',
  'gid',
  'mtime',
  'ctime',
  'inode',
  'nlink',
  'target',
];

export const ENTITY_KINDS = [
  'files',
  'packages',
  'services',
  'ports',
  'users',
  'groups',
  'kernel-modules',
  'processes',
] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const ATTRIBUTES_BY_KIND: Readonly<Record<EntityKind, readonly string[]>> = {
  files: FILE_ATTRIBUTES,
  packages: ['version', 'architecture', 'status'],
  services: ['loadState', 'activeState', 'subState', 'enabled'],
  ports: ['process'],
  users: ['uid', 'gid', 'home', 'shell'],
  groups: ['gid', 'members'],
  'kernel-modules': ['size', 'usedBy'],
  processes: ['users', 'count'],
};

/** Attributes compared when a rule names none; for files this is STANDARD + sha256. */
export const DEFAULT_ATTRIBUTES_BY_KIND: Readonly<Record<EntityKind, readonly string[]>> = {
  ...ATTRIBUTES_BY_KIND,
  files: ['sha256', ...STANDARD_FILE_ATTRIBUTES],
  processes: ['users'],
};

/** Expands "STANDARD", removes duplicates, keeps a stable order. Unknown names are left for validation. */
export function expandAttributes(kind: EntityKind, names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of names) {
    if (name === 'STANDARD') {
      const standard = kind === 'files' ? STANDARD_FILE_ATTRIBUTES : DEFAULT_ATTRIBUTES_BY_KIND[kind];
      for (const a of standard) out.add(a);
    } else out.add(name);
  }
  const order = ATTRIBUTES_BY_KIND[kind];
  return [...out].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

export function hashesIn(attributes: readonly string[]): FileHash[] {
  return FILE_HASHES.filter((h) => attributes.includes(h));
}

/** An attribute value as stored in a baseline: scalars only, so diffs and JSON stay simple. */
export type AttributeValue = string | number | null;

/** One entity as observed: its key within the rule and its attributes. */
export interface Entry {
  readonly key: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}
