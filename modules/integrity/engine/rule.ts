import { parseWith, Severity, type ValidationIssue } from '@bulwark/protocol';
import { type Static, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import {
  ATTRIBUTES_BY_KIND,
  DEFAULT_ATTRIBUTES_BY_KIND,
  ENTITY_KINDS,
  type EntityKind,
  expandAttributes,
} from './attributes.js';
import { compileGlob } from './glob.js';

/** Rules are data: what to watch (an entity set) and which attributes of it to compare. */

const Globs = Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: 1000 });
const NameGlobs = {
  include: Type.Optional(Globs),
  exclude: Type.Optional(Globs),
};

export const FilesEntitySet = Type.Object(
  {
    kind: Type.Literal('files'),
    base: Type.String({ minLength: 1, maxLength: 4096, description: 'Absolute base directory or file' }),
    ...NameGlobs,
    recursive: Type.Optional(Type.Boolean({ default: true })),
    maxDepth: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    followSymlinks: Type.Optional(
      Type.Boolean({ default: false, description: 'Follow symlinks to directories while walking; loops are detected' }),
    ),
  },
  { additionalProperties: false },
);

const named = <K extends string, E extends TProperties = Record<never, never>>(kind: K, extra: E = {} as E) =>
  Type.Object({ kind: Type.Literal(kind), ...NameGlobs, ...extra }, { additionalProperties: false });

export const PackagesEntitySet = named('packages', {
  managers: Type.Optional(Type.Array(Type.Union([Type.Literal('dpkg'), Type.Literal('rpm')]), { maxItems: 2 })),
});
export const ServicesEntitySet = named('services');
export const PortsEntitySet = named('ports', {
  protocols: Type.Optional(Type.Array(Type.Union([Type.Literal('tcp'), Type.Literal('udp')]), { maxItems: 2 })),
});
export const UsersEntitySet = named('users');
export const GroupsEntitySet = named('groups');
export const KernelModulesEntitySet = named('kernel-modules');
export const ProcessesEntitySet = named('processes');

const ENTITY_SCHEMAS: Readonly<Record<EntityKind, TSchema>> = {
  files: FilesEntitySet,
  packages: PackagesEntitySet,
  services: ServicesEntitySet,
  ports: PortsEntitySet,
  users: UsersEntitySet,
  groups: GroupsEntitySet,
  'kernel-modules': KernelModulesEntitySet,
  processes: ProcessesEntitySet,
};

export const EntitySet = Type.Union([
  FilesEntitySet,
  PackagesEntitySet,
  ServicesEntitySet,
  PortsEntitySet,
  UsersEntitySet,
  GroupsEntitySet,
  KernelModulesEntitySet,
  ProcessesEntitySet,
]);
export type EntitySet = Static<typeof EntitySet>;
export type FilesEntitySet = Static<typeof FilesEntitySet>;

const ruleHead = {
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,127}$', description: 'Unique within the module' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 4000 }),
  severity: Severity,
  os: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 50,
      description: 'os-release IDs (debian, ubuntu, rhel, ...) the rule applies to; absent means any Linux',
    }),
  ),
  recommendWhen: Type.Optional(
    Type.Object(
      {
        always: Type.Optional(Type.Boolean()),
        packagesAny: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100 })),
        packageManager: Type.Optional(Type.Union([Type.Literal('dpkg'), Type.Literal('rpm')])),
      },
      { additionalProperties: false, description: 'When a recommendation scan proposes this rule' },
    ),
  ),
  attributes: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 32 }), {
      maxItems: 32,
      description: 'Attributes to compare, or "STANDARD"; absent means the default for the entity kind',
    }),
  ),
};

/** One rule as authored (built-in file or API). */
export const IntegrityRule = Type.Object({ ...ruleHead, entity: EntitySet }, { additionalProperties: false });
export type IntegrityRule = Static<typeof IntegrityRule>;

/** A rule after validation: attributes expanded, defaults filled; what the agent runs. */
export const CompiledRule = Type.Object(
  {
    ...ruleHead,
    attributes: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 32 }),
    entity: EntitySet,
  },
  { additionalProperties: false },
);
export type CompiledRule = Static<typeof CompiledRule>;

export type RuleValidation =
  | { readonly ok: true; readonly rule: CompiledRule }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/**
 * Validates an untrusted rule and names the offending field in every issue. The entity set is
 * checked against the schema of its own kind so the message says what is wrong with a files
 * rule rather than "does not match any member of a union".
 */
export function validateRule(input: unknown): RuleValidation {
  const head = parseWith(Type.Object({ ...ruleHead, entity: Type.Unknown() }, { additionalProperties: false }), input);
  const issues: ValidationIssue[] = head.ok ? [] : [...head.issues];
  const entity = (input as { entity?: unknown } | null)?.entity;
  const kind = (entity as { kind?: unknown } | null | undefined)?.kind;
  if (entity === undefined || typeof entity !== 'object' || entity === null) {
    if (!issues.some((i) => i.path.startsWith('/entity'))) issues.push({ path: '/entity', message: 'Expected object' });
    return { ok: false, issues };
  }
  if (typeof kind !== 'string' || !(ENTITY_KINDS as readonly string[]).includes(kind)) {
    issues.push({ path: '/entity/kind', message: `Expected one of ${ENTITY_KINDS.join(', ')}` });
    return { ok: false, issues };
  }
  const entityKind = kind as EntityKind;
  const parsedEntity = parseWith(ENTITY_SCHEMAS[entityKind], entity);
  if (!parsedEntity.ok)
    for (const i of parsedEntity.issues)
      issues.push({ path: `/entity${i.path === '/' ? '' : i.path}`, message: i.message });
  if (!head.ok || !parsedEntity.ok) return { ok: false, issues };

  const rule = input as IntegrityRule;
  const allowed = ATTRIBUTES_BY_KIND[entityKind];
  (rule.attributes ?? []).forEach((name, index) => {
    if (name !== 'STANDARD' && !allowed.includes(name))
      issues.push({
        path: `/attributes/${index}`,
        message: `"${name}" is not an attribute of ${entityKind}; use STANDARD or one of ${allowed.join(', ')}`,
      });
  });
  const base = rule.entity.kind === 'files' ? rule.entity.base : '/';
  if (rule.entity.kind === 'files') {
    if (!base.startsWith('/')) issues.push({ path: '/entity/base', message: 'Expected an absolute path' });
    if (base.split('/').some((part) => part === '..' || part === '.'))
      issues.push({ path: '/entity/base', message: "A base directory may not contain '.' or '..' components" });
    if (base.includes('\0')) issues.push({ path: '/entity/base', message: 'A path may not contain a NUL character' });
  }
  for (const field of ['include', 'exclude'] as const) {
    (rule.entity[field] ?? []).forEach((pattern, index) => {
      const compiled = compileGlob(pattern, base);
      if (!compiled.ok) issues.push({ path: `/entity/${field}/${index}`, message: compiled.message });
    });
  }
  if (issues.length > 0) return { ok: false, issues };

  const attributes = expandAttributes(entityKind, rule.attributes ?? DEFAULT_ATTRIBUTES_BY_KIND[entityKind]);
  const entity2 =
    rule.entity.kind === 'files'
      ? {
          ...rule.entity,
          base: base.length > 1 ? base.replace(/\/+$/, '') : base,
          recursive: rule.entity.recursive ?? true,
          followSymlinks: rule.entity.followSymlinks ?? false,
        }
      : rule.entity;
  return { ok: true, rule: { ...rule, attributes, entity: entity2 } };
}
